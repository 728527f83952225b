package rediscache

import (
	"log/slog"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// go-redis's logger is process-wide; the tests kill Redis on purpose.
	redis.SetLogger(GoRedisLogger{L: slog.New(slog.DiscardHandler)})
	goleak.VerifyTestMain(m,
		// Once a pool has failed PoolSize dials in a row, go-redis probes
		// Redis from this goroutine, sleeping a second between probes; it
		// returns at the first probe after Close, up to a second later.
		goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"),
	)
}

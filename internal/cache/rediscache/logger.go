package rediscache

import (
	"context"
	"fmt"
	"log/slog"
)

// GoRedisLogger adapts an slog.Logger for redis.SetLogger. go-redis logs
// through a process-wide logger of its own (failed dials, pool events) that
// otherwise writes plain text to stderr; the program installs this adapter
// once at start-up so that those lines are structured like the rest. They go
// at debug level: Open and the caches report Redis's state themselves, and a
// dead Redis makes go-redis log every failed dial.
type GoRedisLogger struct{ L *slog.Logger }

// Printf logs one go-redis message.
func (g GoRedisLogger) Printf(ctx context.Context, format string, v ...any) {
	g.L.DebugContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}

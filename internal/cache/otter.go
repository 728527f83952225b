package cache

import (
	"context"
	"log/slog"
	"time"
)

// otterClock adapts an injected clock to otter.Clock. It delivers no ticks:
// a ticker of our own could not be stopped when otter's goroutine ends, and
// without ticks otter skips its periodic clean-up (expired entries are still
// never served).
type otterClock struct{ now func() time.Time }

func (c otterClock) NowNano() int64                    { return c.now().UnixNano() }
func (otterClock) Tick(time.Duration) <-chan time.Time { return nil }

// otterLogger sends otter's own warnings (a panicking callback) to the
// injected logger instead of slog.Default.
type otterLogger struct{ l *slog.Logger }

func (o otterLogger) Warn(ctx context.Context, msg string, err error) {
	o.l.WarnContext(ctx, msg, "err", err)
}

func (o otterLogger) Error(ctx context.Context, msg string, err error) {
	o.l.ErrorContext(ctx, msg, "err", err)
}

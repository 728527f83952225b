package urlscan

import "context"

type noRetryKey struct{}

// WithoutRetry returns a context under which a call is made once, never
// retried: a caller that polls (the scan follow-up) spends at most one
// request per poll, and its next poll is the retry.
func WithoutRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetryKey{}, true)
}

func noRetry(ctx context.Context) bool {
	v, _ := ctx.Value(noRetryKey{}).(bool)
	return v
}

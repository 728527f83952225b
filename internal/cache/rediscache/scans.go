package rediscache

import (
	"context"
	"fmt"
	"time"
)

// ScanLog is the shared log of scans submitted through the relay, one
// Redis list per API key id ("<KeyPrefix>scans:<key id>"), newest first.
// It implements scans.Remote.
type ScanLog struct {
	s      *Store
	prefix string
}

// Scans returns the shared scan log.
func (s *Store) Scans() *ScanLog { return &ScanLog{s: s, prefix: s.prefix + "scans:"} }

// Append pushes record at the head of keyID's list, trims the list to max
// records and lets it expire keep after this write, in one transaction.
func (l *ScanLog) Append(ctx context.Context, keyID string, record []byte, max int, keep time.Duration) error {
	if max <= 0 || keep <= 0 {
		return fmt.Errorf("rediscache: scan log: max %d and keep %v must be positive", max, keep)
	}
	ctx, cancel := context.WithTimeout(ctx, l.s.timeout)
	defer cancel()
	key := l.prefix + keyID
	pipe := l.s.client.TxPipeline()
	pipe.LPush(ctx, key, record)
	pipe.LTrim(ctx, key, 0, int64(max-1))
	pipe.PExpire(ctx, key, keep)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("rediscache: scan log append: %w", err)
	}
	return nil
}

// Recent returns at most max records of keyID, newest first; whatever
// else the list holds is never read.
func (l *ScanLog) Recent(ctx context.Context, keyID string, max int) ([][]byte, error) {
	if max <= 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, l.s.timeout)
	defer cancel()
	vals, err := l.s.client.LRange(ctx, l.prefix+keyID, 0, int64(max-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("rediscache: scan log read: %w", err)
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		out[i] = []byte(v)
	}
	return out, nil
}

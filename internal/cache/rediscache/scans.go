package rediscache

import (
	"context"
	"fmt"
	"time"
)

// ScanLog is the shared log of scans submitted through the relay, one
// Redis list per API key id ("<KeyPrefix>scans:<key id>"), newest first.
// It implements scans.Remote. Its commands end at ctx's deadline: the scan
// book, its one caller, bounds each call by its Timeout (REDIS_TIMEOUT);
// a ctx without a deadline still meets the socket timeouts. Records are
// held to maxRecordBytes both ways (bounds.go).
type ScanLog struct {
	s      *Store
	prefix string
}

// Scans returns the shared scan log.
func (s *Store) Scans() *ScanLog { return &ScanLog{s: s, prefix: s.prefix + kindScans + ":"} }

// Append pushes record at the head of keyID's list, trims the list to max
// records and lets it expire keep after this write, in one transaction. A
// record past the bound, which no reader would take, is counted and not
// written, without an error.
func (l *ScanLog) Append(ctx context.Context, keyID string, record []byte, max int, keep time.Duration) error {
	if max <= 0 || keep <= 0 {
		return fmt.Errorf("rediscache: scan log: max %d and keep %v must be positive", max, keep)
	}
	if !l.s.fits(kindScans, record, maxRecordBytes) {
		return nil
	}
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
// else the list holds is never read. A record past the bound is counted
// and left out without leaving Redis; a list past twice max such records
// is counted once and read as empty (bounds.go, rangeScript).
func (l *ScanLog) Recent(ctx context.Context, keyID string, max int) ([][]byte, error) {
	if max <= 0 {
		return nil, nil
	}
	res, err := rangeScript.Run(ctx, l.s.client, []string{l.prefix + keyID}, max, maxRecordBytes).Result()
	if err != nil {
		return nil, fmt.Errorf("rediscache: scan log read: %w", err)
	}
	if size, ok := res.(int64); ok {
		// A list no relay wrote: counted once, and read as empty.
		l.s.oversized(kindScans, "read", size, 2*max*maxRecordBytes)
		return nil, nil
	}
	reply, ok := res.([]any)
	if !ok {
		return nil, fmt.Errorf("rediscache: scan log read: a reply of type %T", res)
	}
	if len(reply) > max {
		return nil, fmt.Errorf("rediscache: scan log read: %d records for %d", len(reply), max)
	}
	out, err := l.s.records(reply, kindScans, maxRecordBytes)
	if err != nil {
		return nil, fmt.Errorf("rediscache: scan log read: %w", err)
	}
	return out, nil
}

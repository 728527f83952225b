package rediscache

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"testing"

	"urlscan-relay/internal/cache/rediscache/redistest"
)

// testURL is REDIS_URL when set (CI's shared server), else a server of the
// test's own.
func testURL(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return redistest.Start(t).URL()
}

// openStore opens a Store with a key prefix of its own, so tests sharing a
// REDIS_URL never see each other's keys.
func openStore(t *testing.T, url, prefix string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, Options{KeyPrefix: prefix})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func uniquePrefix(t *testing.T) string {
	return fmt.Sprintf("urlscan-relay-test:%s:%s:", t.Name(), rand.Text()[:8])
}

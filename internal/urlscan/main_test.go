package urlscan

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"urlscan-relay/internal/urlscan/urlscantest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testKey is a well-formed API key; tests check it never leaks.
const testKey = "5f1a8e2c-0d3b-4c6e-9a7f-1b2c3d4e5f60"

// fixtureQuery and fixtureIDs are the recorded search and its two scans.
const fixtureQuery = `page.ip:"1.1.1.1"`

var fixtureIDs = [...]string{"13cde17f-a7f5-4e27-8a56-5e81bc086a37", "14afd7c3-aee5-4906-acde-9a706ce5bb40"}

func newServer(t *testing.T, o urlscantest.Options) *urlscantest.Server {
	t.Helper()
	s := urlscantest.NewServer(o)
	t.Cleanup(s.Close)
	return s
}

// newClient returns a Client for base with fast retries; mod adjusts the
// options.
func newClient(t *testing.T, base string, mod func(*Options)) *Client {
	t.Helper()
	o := Options{
		BaseURL:    base,
		Timeout:    2 * time.Second,
		UserAgent:  "urlscan-relay/test",
		RetryPause: func() time.Duration { return time.Millisecond },
	}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// callEndpoint makes one call of the given endpoint with key.
func callEndpoint(ctx context.Context, c *Client, endpoint, key string) error {
	switch endpoint {
	case endpointSearch:
		_, err := c.Search(ctx, key, fixtureQuery, 100)
		return err
	case endpointResult:
		_, err := c.Result(ctx, key, fixtureIDs[0])
		return err
	default:
		_, err := c.Scan(ctx, key, ScanRequest{URL: "https://example.com/", Visibility: "private"})
		return err
	}
}

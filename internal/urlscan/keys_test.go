package urlscan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan/urlscantest"
)

func TestInvalidKeySendsNothing(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	c := newClient(t, srv.URL, nil)
	keys := []string{"", " ", "abc def", "abc\r\nX-Injected: 1", "abc\n", "tab\tkey", "nul\x00", "del\x7f", "ключ", "caf\xc3\xa9", strings.Repeat("k", maxKeyBytes+1)}
	for _, key := range keys {
		for _, endpoint := range []string{"search", "result", "scan"} {
			err := callEndpoint(t.Context(), c, endpoint, key)
			got := tr.From(err)
			if got == nil || got.Code != tr.PermissionDenied || got.Message != "The request is missing a valid API key." {
				t.Errorf("%s with key %q: got %v, want permission denied", endpoint, key, err)
			}
		}
	}
	if got := len(srv.Requests()); got != 0 {
		t.Errorf("got %d requests, want none", got)
	}
}

func TestKeyOnlyInHeader(t *testing.T) {
	srv := newServer(t, urlscantest.Options{APIKey: testKey})
	c := newClient(t, srv.URL, nil)
	for _, endpoint := range []string{"search", "result", "scan"} {
		if err := callEndpoint(t.Context(), c, endpoint, testKey); err != nil {
			t.Fatalf("%s: %v", endpoint, err)
		}
	}
	if err := callEndpoint(t.Context(), c, "search", "other-key"); tr.From(err).Code != tr.PermissionDenied {
		t.Errorf("wrong key: got %v, want permission denied", err)
	}
	for _, r := range srv.Requests() {
		if !r.KeyPresent {
			t.Errorf("%s %s: API-Key header missing", r.Method, r.Path)
		}
		if strings.Contains(r.Path+r.Query+r.Body, testKey) {
			t.Errorf("%s %s: key outside the header", r.Method, r.Path)
		}
		if r.UserAgent != "urlscan-relay/test" || r.Accept != "application/json" {
			t.Errorf("%s %s: got User-Agent %q Accept %q", r.Method, r.Path, r.UserAgent, r.Accept)
		}
	}
}

func TestKeyID(t *testing.T) {
	a, b := KeyID(testKey), KeyID(testKey+"x")
	if len(a) != 16 || a == b || a != KeyID(testKey) {
		t.Errorf("got %q and %q, want 16 stable hex digits that differ per key", a, b)
	}
	if strings.Contains(a, testKey[:8]) {
		t.Errorf("KeyID %q shows part of the key", a)
	}
}

// TestKeyIDRemembersOnlyRightAnswers holds that the table of recent ids
// never answers one key with another's id, with more keys than slots and
// goroutines racing for the same slots.
func TestKeyIDRemembersOnlyRightAnswers(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for round := range 3 {
				for i := range 4 * keyIDSlots {
					k := fmt.Sprintf("key-%d", (i+g*97+round*31)%(4*keyIDSlots))
					sum := sha256.Sum256([]byte(k))
					if got, want := KeyID(k), hex.EncodeToString(sum[:8]); got != want {
						t.Errorf("KeyID(%q) = %s, want %s", k, got, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkKeyID(b *testing.B) {
	for b.Loop() {
		KeyID(testKey)
	}
}

func TestValidScanID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"13cde17f-a7f5-4e27-8a56-5e81bc086a37", true},
		{"ABCdef012", true},
		{"", false},
		{"..", false},
		{"../../search", false},
		{"a/b", false},
		{"%2e%2e", false},
		{"id?q=1", false},
		{"id#x", false},
		{"a b", false},
		{"é", false},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
	}
	for _, tc := range tests {
		if got := ValidScanID(tc.id); got != tc.want {
			t.Errorf("ValidScanID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestResultRefusesHostileID(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	c := newClient(t, srv.URL, nil)
	for _, id := range []string{"../search", "x/../../scan", "%2F", "a?b", ""} {
		if _, err := c.Result(t.Context(), testKey, id); tr.From(err).Code != tr.Unknown {
			t.Errorf("Result(%q): got %v, want unknown", id, err)
		}
	}
	if got := len(srv.Requests()); got != 0 {
		t.Errorf("got %d requests, want none", got)
	}
}

// blockingTransport holds every request until its context ends, counting
// the ones that arrive.
type blockingTransport struct{ arrived atomic.Int64 }

func (b *blockingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	b.arrived.Add(1)
	<-req.Context().Done()
	return nil, req.Context().Err()
}

func TestPerKeyQueueFailsFast(t *testing.T) {
	rt := &blockingTransport{}
	c := newClient(t, "http://urlscan.invalid/api/v1", func(o *Options) {
		o.Transport = rt
		o.PerKeyConcurrency = 1
		o.PerKeyQueue = 2
		o.Timeout = time.Minute
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range 3 { // one in flight, two waiting
		wg.Go(func() { _ = callEndpoint(ctx, c, endpointSearch, "key-a") })
	}
	deadline := time.Now().Add(5 * time.Second)
	for rt.arrived.Load() < 1 || c.slots.users(KeyID("key-a")) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the first three calls never lined up")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	fourth, cancelFourth := context.WithTimeout(ctx, 2*time.Second)
	defer cancelFourth()
	err := callEndpoint(fourth, c, endpointSearch, "key-a")
	if te := tr.From(err); te == nil || te.Code != tr.TooManyRequests {
		t.Errorf("fourth call err = %v, want %q", err, tr.TooManyRequests)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("fourth call waited %v, want it refused at once", waited)
	}
	// Another key has a queue of its own.
	other := make(chan struct{})
	go func() {
		defer close(other)
		_ = callEndpoint(ctx, c, endpointSearch, "key-b")
	}()
	for rt.arrived.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("another key's call was held behind key-a's queue")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	wg.Wait()
	<-other
	if n := c.slots.users(KeyID("key-a")); n != 0 {
		t.Errorf("key-a still counts %d users after every call ended", n)
	}
}

// users reports the calls of keyID running or waiting.
func (k *keySlots) users(keyID string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s := k.keys[keyID]; s != nil {
		return s.users
	}
	return 0
}

// gatedTransport holds every request until release is closed, counting the
// ones that arrive, and then answers an empty search.
type gatedTransport struct {
	arrived atomic.Int64
	release chan struct{}
}

func (g *gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	g.arrived.Add(1)
	select {
	case <-g.release:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"results":[]}`)), Request: req}, nil
}

func TestNoCallWithoutBudget(t *testing.T) {
	t.Run("deadline too close", func(t *testing.T) {
		rt := &gatedTransport{release: make(chan struct{})}
		close(rt.release)
		c := newClient(t, "http://urlscan.invalid/api/v1", func(o *Options) { o.Transport = rt })
		ctx, cancel := context.WithTimeout(context.Background(), minCallBudget/2)
		defer cancel()
		err := callEndpoint(ctx, c, endpointSearch, "key-a")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
		if n := rt.arrived.Load(); n != 0 {
			t.Errorf("%d requests sent with %v left, want none", n, minCallBudget/2)
		}
	})
	t.Run("slot won too late", func(t *testing.T) {
		rt := &gatedTransport{release: make(chan struct{})}
		c := newClient(t, "http://urlscan.invalid/api/v1", func(o *Options) {
			o.Transport = rt
			o.PerKeyConcurrency = 1
			o.Timeout = time.Minute
		})
		first := make(chan error, 1)
		go func() { first <- callEndpoint(context.Background(), c, endpointSearch, "key-a") }()
		for rt.arrived.Load() < 1 {
			time.Sleep(time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), minCallBudget+200*time.Millisecond)
		defer cancel()
		second := make(chan error, 1)
		go func() { second <- callEndpoint(ctx, c, endpointSearch, "key-a") }()
		// The slot frees when less than the budget is left.
		time.Sleep(300 * time.Millisecond)
		close(rt.release)
		if err := <-first; err != nil {
			t.Fatalf("first call: %v", err)
		}
		if err := <-second; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("second call err = %v, want context.DeadlineExceeded", err)
		}
		if n := rt.arrived.Load(); n != 1 {
			t.Errorf("%d requests sent, want 1: the second won its slot too late to be sent", n)
		}
	})
}

package urlscan

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/jsonscan"
	"urlscan-relay/internal/tr"
)

// The endpoints of the API, which are also the rate-limit actions.
const (
	endpointSearch = "search"
	endpointResult = "result"
	endpointScan   = "scan"
)

const (
	defaultTimeout           = 10 * time.Second
	defaultPerKeyConcurrency = 32
	defaultPerKeyQueue       = 4096
	defaultMaxDocumentBytes  = 32 << 20
	defaultUserAgent         = "urlscan-relay"

	// maxErrorBody is how much of an error answer is read for urlscan's
	// message; maxDrain how much more is discarded so the connection can be
	// reused.
	maxErrorBody = 4 << 10
	maxDrain     = 64 << 10

	// maxRateLimitWait is the longest 429 wait sat out before the one retry,
	// even when the caller's deadline would allow more.
	maxRateLimitWait = 10 * time.Second
	// minCallBudget is the least time before the caller's deadline that a
	// call (a first attempt or a retry) must have left to be sent at all:
	// less is not enough for an answer to come back, and a call sent only
	// to be abandoned still spends the key's quota.
	minCallBudget = 250 * time.Millisecond

	// maxPooledBuffer keeps unusually large bodies' buffers out of the pool,
	// so one huge document does not pin its memory for good.
	maxPooledBuffer = 4 << 20
)

// Options configure a Client. Only BaseURL is required.
type Options struct {
	BaseURL   string            // API root, e.g. https://urlscan.io/api/v1 (a trailing slash is fine)
	Timeout   time.Duration     // bound of one call, body included (default 10s)
	UserAgent string            // versioned, e.g. urlscan-relay/1.0.0
	Transport http.RoundTripper // default: a clone of http.DefaultTransport sized for fan-out, trusting RootCAs
	RootCAs   *x509.CertPool    // TLS trust of the default transport; nil means the system's

	PerKeyConcurrency int   // calls in flight per API key (default 32)
	PerKeyQueue       int   // calls waiting for one of those, past which a call fails at once (default 4096)
	MaxDocumentBytes  int64 // largest answer body read (default 32 MiB)

	Limits     LimitStore            // where rate-limit blocks are kept (default: in memory)
	Registerer prometheus.Registerer // where metrics are registered; nil: nowhere
	Logger     *slog.Logger          // nil: discard

	Now        func() time.Time                                 // clock of rate-limit blocks (default time.Now)
	Sleep      func(ctx context.Context, d time.Duration) error // waits before a retry (default: a timer that ctx can stop)
	RetryPause func() time.Duration                             // pause before retrying a 5xx or a broken connection (default 50–250 ms, jittered)
}

// Client calls the urlscan.io API on behalf of many API keys. It is safe
// for concurrent use; Close releases its idle connections.
type Client struct {
	base    string
	origin  string // scheme://host of base, where /user/quotas/ is
	http    *http.Client
	ua      string
	timeout time.Duration
	maxDoc  int64
	slots   *keySlots
	limits  LimitStore
	metrics *metrics
	// remaining is the last quota urlscan's headers told, per key and action.
	remaining remainingCounts
	log       *slog.Logger
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
	pause     func() time.Duration
	bufs      sync.Pool // *bytes.Buffer for whole answer bodies
	streams   sync.Pool // *jsonscan.Stream for result documents
}

// New returns a Client for the API at o.BaseURL.
func New(o Options) (*Client, error) {
	base := strings.TrimRight(o.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("urlscan: the base URL is not an absolute http(s) URL") // not quoted: it may hold credentials
	}
	c := &Client{
		base:    base,
		origin:  originOf(base),
		ua:      o.UserAgent,
		timeout: o.Timeout,
		maxDoc:  o.MaxDocumentBytes,
		limits:  o.Limits,
		log:     o.Logger,
		now:     o.Now,
		sleep:   o.Sleep,
		pause:   o.RetryPause,
	}
	if c.ua == "" {
		c.ua = defaultUserAgent
	}
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	if c.maxDoc <= 0 {
		c.maxDoc = defaultMaxDocumentBytes
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.limits == nil {
		c.limits = NewMemoryLimits(c.now)
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	if c.pause == nil {
		c.pause = func() time.Duration { return 50*time.Millisecond + rand.N(200*time.Millisecond) }
	}
	perKey := o.PerKeyConcurrency
	if perKey <= 0 {
		perKey = defaultPerKeyConcurrency
	}
	queue := o.PerKeyQueue
	if queue <= 0 {
		queue = defaultPerKeyQueue
	}
	c.slots = newKeySlots(perKey, queue)
	if c.metrics, err = newMetrics(o.Registerer); err != nil {
		return nil, fmt.Errorf("urlscan: registering metrics: %w", err)
	}
	rt := o.Transport
	if rt == nil {
		rt = defaultTransport(o.RootCAs)
	}
	c.http = &http.Client{Transport: rt, CheckRedirect: sameHostRedirects}
	return c, nil
}

// Close releases the Client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// defaultTransport is http.DefaultTransport sized for the relay's fan-out:
// dozens of concurrent calls to one host.
func defaultTransport(roots *x509.CertPool) *http.Transport {
	t, ok := http.DefaultTransport.(*http.Transport)
	if ok {
		t = t.Clone()
	} else {
		t = &http.Transport{Proxy: http.ProxyFromEnvironment, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second}
	}
	t.ForceAttemptHTTP2 = true
	// Keep as many connections as a busy moment uses: a connection closed
	// after a burst is a new TCP (and TLS) handshake in the next one.
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	t.MaxConnsPerHost = 256
	// Each pooled connection keeps a read buffer of this size for as long
	// as it idles (hundreds of them after a burst). The result decoder
	// reads through a window larger than it, and such reads bypass the
	// buffer, so a small one costs no extra read calls on documents.
	t.ReadBufferSize = 8 << 10
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return t
}

// sameHostRedirects follows a redirect only to the same scheme and host,
// and at most three times: the API-Key header goes along, and must never
// reach another host.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return errRedirectLoop
	}
	if req.URL.Scheme != via[0].URL.Scheme || req.URL.Host != via[0].URL.Host {
		return errRedirectAway
	}
	return nil
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// request is one API call to make.
type request struct {
	endpoint string
	method   string
	url      string
	body     []byte // JSON, for a POST
	maxBytes int64  // largest answer read; 0 means the document limit
	// idempotent calls may be repeated after a failure that may have
	// reached urlscan; others only after one that cannot have.
	idempotent bool
}

// outcome is what one attempt came to.
type outcome struct {
	err    *Error
	cause  error  // the transport error, when no complete answer came
	action string // the rate-limit action the answer named
}

// do makes the call r with apiKey, applying the retry rules of PROTOCOL.md §6,
// and hands a 2xx answer's whole body to decode. The body is only valid
// during decode.
func (c *Client) do(ctx context.Context, apiKey string, r request, decode func([]byte) error) error {
	return c.doStream(ctx, apiKey, r, func(body io.Reader) error {
		buf, err := c.readBody(body)
		if err != nil {
			return err
		}
		defer c.putBuffer(buf)
		return decode(buf.Bytes())
	})
}

// doStream is do for an answer decoded as it arrives: decode reads a 2xx
// answer's body, and must return a failed read's error (wrapped or not)
// when it stops at one. The body ends with an error past the document
// limit.
func (c *Client) doStream(ctx context.Context, apiKey string, r request, decode func(io.Reader) error) error {
	if !validKey(apiKey) {
		// Nothing is sent: the key would be malformed on the wire, or split
		// the header block.
		return &Error{Endpoint: r.endpoint, TR: tr.New(tr.PermissionDenied, tr.MsgMissingKey), Err: errInvalidKey}
	}
	keyID := KeyID(apiKey)
	if wait := c.heldFor(ctx, keyID, r.endpoint); wait > 0 {
		c.metrics.requests.WithLabelValues(r.endpoint, "blocked").Inc()
		return heldBack(r.endpoint, wait)
	}
	for attempt := 0; ; attempt++ {
		out := c.attempt(ctx, apiKey, keyID, r, decode)
		if out.err == nil {
			return nil
		}
		wait, reason, again := c.retryable(ctx, r, out, attempt)
		if !again {
			if out.err.Status == http.StatusTooManyRequests && out.err.RetryAfter > 0 {
				c.block(ctx, keyID, out.action, out.err.RetryAfter)
			}
			return out.err
		}
		c.metrics.retries.WithLabelValues(r.endpoint, reason).Inc()
		c.log.DebugContext(ctx, "urlscan call retried", "endpoint", r.endpoint, "reason", reason, "wait", wait, "key_id", keyID)
		if err := c.sleep(ctx, wait); err != nil {
			return out.err
		}
	}
}

// retryable decides whether a failed attempt is tried again, and after
// what wait. Only the first failure is retried:
//   - 429, when urlscan said how long to wait and the wait fits both the
//     caller's deadline and maxRateLimitWait;
//   - 502, 503, 504, a broken connection or a timeout of one call (not of
//     the caller), after a short jittered pause, for idempotent calls;
//   - for a scan submission, only a connection that was never made: a
//     scan that may have reached urlscan is not submitted twice.
func (c *Client) retryable(ctx context.Context, r request, out outcome, attempt int) (wait time.Duration, reason string, again bool) {
	if attempt > 0 || ctx.Err() != nil || noRetry(ctx) {
		return 0, "", false
	}
	e := out.err
	switch {
	case e.Status == http.StatusTooManyRequests:
		if e.RetryAfter <= 0 || e.RetryAfter > maxRateLimitWait || !fits(ctx, e.RetryAfter) {
			return 0, "", false
		}
		return e.RetryAfter, "429", true
	case e.Status == http.StatusBadGateway || e.Status == http.StatusServiceUnavailable || e.Status == http.StatusGatewayTimeout:
		reason = strconv.Itoa(e.Status)
		if !r.idempotent {
			return 0, "", false
		}
	case out.cause != nil && e.TR.Code == tr.ServiceUnavailable:
		reason = "connection"
		if isTimeout(out.cause) {
			reason = "timeout"
		}
		if !r.idempotent && !neverSent(out.cause) {
			return 0, "", false
		}
	default:
		return 0, "", false
	}
	wait = c.pause()
	if !fits(ctx, wait) {
		return 0, "", false
	}
	return wait, reason, true
}

// fits reports whether waiting d still leaves a call minCallBudget to
// answer in before ctx's deadline.
func fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d+minCallBudget
}

// attempt makes one HTTP request for r.
func (c *Client) attempt(ctx context.Context, apiKey, keyID string, r request, decode func(io.Reader) error) outcome {
	if !fits(ctx, 0) {
		return outcome{err: transportError(r.endpoint, errNoBudget), cause: errNoBudget}
	}
	release, err := c.slots.acquire(ctx, keyID)
	if err != nil {
		return outcome{err: transportError(r.endpoint, err), cause: err}
	}
	defer release()
	// Checked again: the wait for a slot may have taken what was left.
	if !fits(ctx, 0) {
		return outcome{err: transportError(r.endpoint, errNoBudget), cause: errNoBudget}
	}

	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(callCtx, r.method, r.url, body)
	if err != nil {
		return outcome{err: &Error{Endpoint: r.endpoint, TR: tr.New(tr.Unknown, "Unable to build the urlscan request."), Err: err}}
	}
	req.Header.Set("API-Key", apiKey)
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.recordCall(r.endpoint, "error", start)
		return outcome{err: transportError(r.endpoint, err), cause: err}
	}
	defer resp.Body.Close()

	q := readQuota(resp.Header, r.endpoint, c.now())
	c.noteQuota(ctx, keyID, q)
	status := strconv.Itoa(resp.StatusCode)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
		c.recordCall(r.endpoint, status, start)
		var wait time.Duration
		if resp.StatusCode == http.StatusTooManyRequests {
			wait = retryAfter(resp.Header, c.now())
		}
		return outcome{err: statusError(r.endpoint, resp.StatusCode, head, wait, apiKey), action: q.action}
	}

	limit := c.maxDoc
	if r.maxBytes > 0 {
		limit = min(r.maxBytes, c.maxDoc)
	}
	if resp.ContentLength > limit {
		c.recordCall(r.endpoint, "error", start)
		return outcome{err: transportError(r.endpoint, errTooLarge), cause: errTooLarge}
	}
	answer := &limitedBody{r: resp.Body, left: limit}
	err = decode(answer)
	if answer.err != nil {
		// The answer did not come whole: a broken connection, a timeout or
		// an oversized body, whatever decode made of the part it saw.
		c.recordCall(r.endpoint, "error", start)
		return outcome{err: transportError(r.endpoint, answer.err), cause: answer.err}
	}
	c.recordCall(r.endpoint, status, start)
	if err != nil {
		// The connection can still be reused if little is left unread.
		_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
		return outcome{err: decodeError(r.endpoint, resp.StatusCode, err)}
	}
	return outcome{}
}

// limitedBody reads an answer's body, failing with errTooLarge past the
// document limit, and remembers the first failed read, so that attempt can
// tell a broken answer from a broken document.
type limitedBody struct {
	r    io.Reader
	left int64 // bytes still allowed
	err  error // the first failure, io.EOF excepted
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left+1] // one byte past the limit tells an oversized body
	}
	n, err := b.r.Read(p)
	if int64(n) > b.left {
		b.err = errTooLarge
		return 0, b.err
	}
	b.left -= int64(n)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// recordCall counts one urlscan.io call by its outcome and records how long
// it took.
func (c *Client) recordCall(endpoint, status string, start time.Time) {
	c.metrics.requests.WithLabelValues(endpoint, status).Inc()
	c.metrics.duration.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
}

// readBody reads a whole answer body into a pooled buffer.
func (c *Client) readBody(body io.Reader) (*bytes.Buffer, error) {
	buf, _ := c.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	if _, err := buf.ReadFrom(body); err != nil {
		c.putBuffer(buf)
		return nil, err
	}
	return buf, nil
}

func (c *Client) putBuffer(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledBuffer {
		return
	}
	buf.Reset()
	c.bufs.Put(buf)
}

// stream returns a pooled jsonscan.Stream; c.streams.Put returns it.
// Each holds one window, so the pool holds about one per call in flight.
func (c *Client) stream() *jsonscan.Stream {
	if s, ok := c.streams.Get().(*jsonscan.Stream); ok {
		return s
	}
	return jsonscan.NewStream()
}

// heldFor is how long calls of keyID to action are still held back. A
// failing store holds nothing back: it must never fail a call.
func (c *Client) heldFor(ctx context.Context, keyID, action string) time.Duration {
	until, err := c.limits.BlockedUntil(ctx, keyID, action)
	if err != nil {
		c.log.WarnContext(ctx, "urlscan rate-limit store unavailable", "error", err)
		return 0
	}
	return until.Sub(c.now())
}

// block holds back calls of keyID to action for d.
func (c *Client) block(ctx context.Context, keyID, action string, d time.Duration) {
	if err := c.limits.Block(ctx, keyID, action, c.now().Add(d)); err != nil {
		c.log.WarnContext(ctx, "urlscan rate-limit store unavailable", "error", err)
	}
}

// noteQuota records what an answer said about the key's quota: a spent
// quota holds back further calls until it resets.
func (c *Client) noteQuota(ctx context.Context, keyID string, q quota) {
	if q.remaining < 0 {
		return
	}
	c.metrics.remaining.WithLabelValues(q.action).Set(float64(q.remaining))
	c.noteRemaining(keyID, q)
	if q.remaining == 0 && q.resetAfter > 0 {
		c.block(ctx, keyID, q.action, q.resetAfter)
		c.log.InfoContext(ctx, "urlscan quota spent", "action", q.action, "key_id", keyID, "reset_after", q.resetAfter)
	}
}

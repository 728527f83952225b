package urlscan

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"urlscan-relay/internal/jsonscan"
	"urlscan-relay/internal/tr"
)

// ErrResultGone is matched (errors.Is) by the error of a result document
// that urlscan no longer has (404 or 410): the relay keeps the sighting of
// the scan and drops only its judgement.
var ErrResultGone = errors.New("urlscan: scan result is gone")

// ErrScanNotFinished is matched (errors.Is) by the error of a result
// document asked for before its scan finished: urlscan answers 404 with a
// message saying so, and the scan is worth asking about again.
var ErrScanNotFinished = errors.New("urlscan: scan is not finished yet")

// Error is a failed urlscan call. TR is what the analyst reads; errors.As
// and tr.From find it through Unwrap. Neither Error nor its message ever
// holds the API key.
type Error struct {
	Status     int           // HTTP status, 0 when no answer came
	Endpoint   string        // search, result or scan
	RetryAfter time.Duration // for too many requests: how long urlscan asked to wait, when it said
	TR         *tr.Error
	Err        error // the cause when there is one (ErrResultGone, a transport error), for errors.Is and logs
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("urlscan ")
	b.WriteString(e.Endpoint)
	if e.Status != 0 {
		b.WriteString(": HTTP ")
		b.WriteString(strconv.Itoa(e.Status))
	}
	if e.TR != nil {
		b.WriteString(": ")
		b.WriteString(e.TR.Error())
	}
	if e.Err != nil {
		b.WriteString(" (")
		b.WriteString(e.Err.Error())
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap gives the TR error first, so that tr.From answers with it, then
// the cause.
func (e *Error) Unwrap() []error {
	out := make([]error, 0, 2)
	if e.TR != nil {
		out = append(out, e.TR)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// The messages this package adds to the contract's.
const (
	msgNotFound    = "The URLScan not found."
	msgNotFinished = "The urlscan.io scan is not finished yet."
	msgInternal    = "The URLScan internal error."
	msgTooLarge    = "urlscan answer too large"
	msgBadScanID   = "urlscan gave an invalid scan id"
	msgBadRequest  = "urlscan refused the request."
	msgRedirect    = "urlscan answered with a redirect that was not followed"
	msgUnreadable  = "urlscan answer is not valid JSON"
	msgNotAnObject = "urlscan answer is not a JSON object"
	msgTLSPrefix   = "Unable to verify SSL certificate: "
	msgQueueFull   = "Too many urlscan.io calls of this API key are waiting. Please, try again later."
)

// Redirects are followed only within urlscan's own host (the API-Key header
// travels with them), and only a few times.
var (
	errRedirectLoop  = errors.New("too many redirects")
	errRedirectAway  = errors.New("redirect to another host")
	errTooLarge      = errors.New("answer larger than the document limit")
	errInvalidKey    = errors.New("API key cannot be sent as a header")
	errInvalidScanID = errors.New("invalid scan id")
	errHeldBack      = errors.New("held back: the rate limit of this key is spent")
	errQueueFull     = errors.New("too many calls of this key waiting")
	// errNoBudget is a context.DeadlineExceeded: the call was not sent
	// because its caller's deadline was too close.
	errNoBudget = fmt.Errorf("not sent, too little time left before the deadline: %w", context.DeadlineExceeded)
)

// statusError turns an urlscan answer with a non-2xx status into an *Error,
// per PROTOCOL.md §2. body is the start of the answer's body (a few KiB).
func statusError(endpoint string, status int, body []byte, wait time.Duration, apiKey string) *Error {
	e := &Error{Endpoint: endpoint, Status: status}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.TR = tr.New(tr.PermissionDenied, tr.MsgMissingKey)
	case status == http.StatusNotFound && endpoint == endpointResult && notFinished(body):
		e.TR = tr.New(tr.NotFound, msgNotFinished)
		e.Err = ErrScanNotFinished
	case (status == http.StatusNotFound || status == http.StatusGone) && endpoint == endpointResult:
		e.TR = tr.New(tr.NotFound, msgNotFound)
		e.Err = ErrResultGone
	case status == http.StatusNotFound && endpoint == endpointSearch:
		e.TR = tr.New(tr.NotFound, msgNotFound)
	case status == http.StatusTooManyRequests:
		e.TR = tr.New(tr.TooManyRequests, tr.MsgTooMany)
		e.RetryAfter = wait
	case status == http.StatusInternalServerError:
		e.TR = tr.New(tr.InternalError, msgInternal)
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		e.TR = tr.Unavailable()
	case status == http.StatusBadRequest && endpoint != endpointResult:
		msg := upstreamMessage(body, apiKey)
		if msg == "" {
			msg = msgBadRequest
		}
		e.TR = tr.New(tr.BadRequest, msg)
	default:
		msg := upstreamMessage(body, apiKey)
		if msg == "" {
			msg = http.StatusText(status)
		}
		e.TR = tr.New(tr.Unknown, strings.TrimSpace(strconv.Itoa(status)+" "+msg))
	}
	return e
}

// notFinished reports whether a result's 404 body says that the scan is
// still running ("Scan is not finished yet"), as opposed to unknown.
func notFinished(body []byte) bool {
	return strings.Contains(strings.ToLower(upstreamMessage(body, "")), "not finished")
}

// upstreamMessage is urlscan's own explanation in an error body: its
// message and description, joined. It is cut short, stripped of control
// characters, and never repeats the API key.
func upstreamMessage(body []byte, apiKey string) string {
	v, err := parseObject(body, "message", "description")
	if err != nil {
		return ""
	}
	msg, desc := strings.TrimSpace(str(v[0])), strings.TrimSpace(str(v[1]))
	switch {
	case msg == "":
		msg = desc
	case desc != "" && !strings.Contains(msg, desc):
		msg = strings.TrimRight(msg, ".") + ": " + desc
	}
	msg = redactKey(msg, apiKey)
	const maxLen = 300
	if len(msg) > maxLen {
		msg = strings.ToValidUTF8(msg[:maxLen], "") + "…"
	}
	return msg
}

// minKeyFragment is the shortest run of a key's characters that is
// redacted on its own: a key split in two (between message and
// description, or by a character inserted into it) still loses both
// halves, while a message does not lose every short word that happens to
// be in the key.
const minKeyFragment = 8

// redactKey replaces every copy of apiKey in msg, and every run of at least
// minKeyFragment consecutive characters of it, with "[redacted]", comparing
// case-insensitively. Unicode format characters (zero-width spaces and
// joiners, direction marks) are dropped first, so none can hide a key;
// control characters become spaces.
func redactKey(msg, apiKey string) string {
	text := make([]rune, 0, len(msg))
	for _, r := range msg {
		switch {
		case unicode.Is(unicode.Cf, r):
		case unicode.IsControl(r):
			text = append(text, ' ')
		default:
			text = append(text, r)
		}
	}
	key := []rune(apiKey)
	if len(key) == 0 {
		return string(text)
	}
	frag := min(len(key), minKeyFragment)
	// run[k] is, for the text position being looked at, how many runes
	// from there match key from k on: the longest common substrings of
	// text and key, in O(len(text) * len(key)) time and O(len(key)) space.
	run, next := make([]int, len(key)+1), make([]int, len(key)+1)
	secret := make([]bool, len(text))
	for i := len(text) - 1; i >= 0; i-- {
		longest := 0
		for k := range key {
			run[k] = 0
			if foldEqual(text[i], key[k]) {
				run[k] = next[k+1] + 1
				longest = max(longest, run[k])
			}
		}
		run, next = next, run
		if longest >= frag {
			for j := i; j < i+longest; j++ {
				secret[j] = true
			}
		}
	}
	var b strings.Builder
	for i, r := range text {
		switch {
		case !secret[i]:
			b.WriteRune(r)
		case i == 0 || !secret[i-1]:
			b.WriteString("[redacted]")
		}
	}
	return b.String()
}

// foldEqual reports whether a and b are the same letter under Unicode
// simple case folding (k, K and the Kelvin sign alike).
func foldEqual(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// transportError turns a failure to get an answer into an *Error: the
// caller's deadline or a timeout, TLS verification, a refused redirect, an
// oversized answer, or a broken connection.
func transportError(endpoint string, err error) *Error {
	e := &Error{Endpoint: endpoint, Err: bareCause(err)}
	var (
		verr     *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, errTooLarge):
		e.TR = tr.New(tr.Unknown, msgTooLarge)
	case errors.Is(err, errQueueFull):
		e.TR = tr.New(tr.TooManyRequests, msgQueueFull)
	case errors.Is(err, errRedirectLoop) || errors.Is(err, errRedirectAway):
		e.TR = tr.New(tr.Unknown, msgRedirect)
	case errors.As(err, &verr):
		e.TR = tr.New(tr.Unknown, msgTLSPrefix+verr.Err.Error())
	case errors.As(err, &unknown):
		e.TR = tr.New(tr.Unknown, msgTLSPrefix+unknown.Error())
	case errors.As(err, &hostname):
		e.TR = tr.New(tr.Unknown, msgTLSPrefix+hostname.Error())
	case errors.As(err, &invalid):
		e.TR = tr.New(tr.Unknown, msgTLSPrefix+invalid.Error())
	default:
		e.TR = tr.Unavailable()
	}
	return e
}

// decodeError is the *Error of an answer whose body is not what it should be.
func decodeError(endpoint string, status int, err error) *Error {
	msg := msgUnreadable
	if errors.Is(err, jsonscan.ErrNotObject) {
		msg = msgNotAnObject
	}
	return &Error{Endpoint: endpoint, Status: status, TR: tr.New(tr.Unknown, msg), Err: err}
}

// bareCause drops the *url.Error wrapper, whose text repeats the request
// URL (and so the observable) in every log line.
func bareCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// isTimeout reports whether err is a timeout (a deadline of ours or of the
// caller, or the network's).
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// neverSent reports whether err means the request cannot have reached
// urlscan: the connection was never made.
func neverSent(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// heldBack is the *Error of a call refused without a request, because
// urlscan said the key's quota for the action is spent until some time.
func heldBack(endpoint string, wait time.Duration) *Error {
	return &Error{Endpoint: endpoint, RetryAfter: wait, TR: tr.New(tr.TooManyRequests, tr.MsgTooMany), Err: errHeldBack}
}

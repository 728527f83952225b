// Package authtest is a SecureX token issuer for tests and benchmarks: an
// RSA key, a JWKS endpoint served over TLS on loopback, and helpers that
// sign good and hostile tokens. It does not import "testing" so that the
// load benchmark binary can use it too.
package authtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// KeyID is the kid of the issuer's key in its JWKS and in its tokens.
const KeyID = "test-kid"

// JWKSPath is where the issuer serves its key set, as SecureX does.
const JWKSPath = "/.well-known/jwks"

// Issuer signs tokens with one RSA-2048 key and serves the matching JWKS
// at https://Host()/.well-known/jwks.
type Issuer struct {
	key     *rsa.PrivateKey
	server  *httptest.Server
	fetches atomic.Int64

	mu     sync.Mutex
	status int           // 0: answer normally
	body   []byte        // nil: the issuer's own key set
	delay  time.Duration // held before answering
}

// NewIssuer generates a key and starts the JWKS server. Close it when done.
func NewIssuer() (*Issuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("authtest: generate key: %w", err)
	}
	i := &Issuer{key: key}
	i.server = httptest.NewTLSServer(http.HandlerFunc(i.serveJWKS))
	return i, nil
}

// Close stops the JWKS server.
func (i *Issuer) Close() { i.server.Close() }

// Host is the server's "127.0.0.1:port": the jwks_host of its tokens and
// the value to allow in JWKS_HOSTS.
func (i *Issuer) Host() string { return i.server.Listener.Addr().String() }

// URL is the server's root, "https://127.0.0.1:port".
func (i *Issuer) URL() string { return i.server.URL }

// Client is an HTTP client that trusts the server's certificate.
func (i *Issuer) Client() *http.Client { return i.server.Client() }

// RootCAs is a pool holding the server's certificate.
func (i *Issuer) RootCAs() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(i.server.Certificate())
	return pool
}

// CertPEM is the server's certificate in PEM, for SSL_CERT_FILE in
// end-to-end tests.
func (i *Issuer) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: i.server.Certificate().Raw})
}

// PublicKey is the public half of the signing key.
func (i *Issuer) PublicKey() *rsa.PublicKey { return &i.key.PublicKey }

// Fetches counts the requests the server has answered, on any path.
func (i *Issuer) Fetches() int64 { return i.fetches.Load() }

// SetStatus makes the server answer every request with code and an empty
// JSON object; 0 or 200 restores normal answers.
func (i *Issuer) SetStatus(code int) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.status = code
}

// SetBody makes the JWKS endpoint answer body (status 200) instead of the
// issuer's key set; nil restores the key set.
func (i *Issuer) SetBody(body []byte) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.body = body
}

// SetDelay makes the server wait d (or until the client gives up) before
// answering, so that tests can hold many callers on one fetch.
func (i *Issuer) SetDelay(d time.Duration) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.delay = d
}

// JWKS is a key set holding the issuer's public key once under each of
// kids (KeyID when none is given), for SetBody.
func (i *Issuer) JWKS(kids ...string) []byte {
	if len(kids) == 0 {
		kids = []string{KeyID}
	}
	var set jose.JSONWebKeySet
	for _, kid := range kids {
		set.Keys = append(set.Keys, jose.JSONWebKey{
			Key: &i.key.PublicKey, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig",
		})
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic(fmt.Sprintf("authtest: marshal key set: %v", err))
	}
	return b
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	i.fetches.Add(1)
	i.mu.Lock()
	status, body, delay := i.status, i.body, i.delay
	i.mu.Unlock()

	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case status != 0 && status != http.StatusOK:
		w.WriteHeader(status)
		_, _ = w.Write([]byte("{}"))
	case r.URL.Path != JWKSPath:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("{}"))
	case body != nil:
		_, _ = w.Write(body)
	default:
		_, _ = w.Write(i.JWKS())
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// TestObserveCommandSaysWhy checks that the command line tells why a
// urlscan.io call failed on stderr, beside the TR message it fails with.
func TestObserveCommandSaysWhy(t *testing.T) {
	const apiKey = "cli-cause-key-7Qm2"
	upstream := urlscantest.NewServer(urlscantest.Options{APIKey: apiKey})
	defer upstream.Close()
	untrusted := httptest.NewUnstartedServer(http.NotFoundHandler())
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	untrusted.StartTLS()
	defer untrusted.Close()
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there any more

	tests := []struct {
		name, apiURL, key, want string
	}{
		{"refused", "http://" + closed + "/api/v1", apiKey, "connection refused by " + closed},
		{"untrusted certificate", untrusted.URL + "/api/v1", apiKey, "TLS: the server's certificate is not trusted"},
		{"plain HTTP behind https", strings.Replace(plain.URL, "http://", "https://", 1) + "/api/v1", apiKey, "server gave HTTP response to HTTPS client"},
		{"refused key", upstream.URL, "wrong-key", "urlscan.io answered HTTP 401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"URLSCAN_API_URL": tt.apiURL, "URLSCAN_API_KEY": tt.key, "URLSCAN_TIMEOUT": "2s"}
			var stderr bytes.Buffer
			err := run(context.Background(), []string{"urlscan-relay", "observe", "ip", "1.1.1.1"}, func(k string) string { return env[k] }, io.Discard, &stderr)
			if err == nil {
				t.Fatal("observe succeeded, want a failure")
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr = %q, want it to say %q", stderr.String(), tt.want)
			}
			if strings.Contains(stderr.String(), tt.key) || strings.Contains(err.Error(), tt.key) {
				t.Errorf("the output holds the API key")
			}
		})
	}
}

func TestFailureCause(t *testing.T) {
	wrap := func(cause error) error {
		return fmt.Errorf("search: %w", &urlscan.Error{Endpoint: "search", TR: tr.Unavailable(), Err: cause})
	}
	tests := []struct {
		err  error
		want string
	}{
		{wrap(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "urlscan.invalid", Err: "no such host", IsNotFound: true}}), "DNS: cannot resolve urlscan.invalid: no such host"},
		{&urlscan.Error{Endpoint: "search", Status: 503, TR: tr.Unavailable()}, "urlscan.io answered HTTP 503"},
		{tr.New(tr.InvalidArgument, "nothing more to say"), ""},
	}
	for _, tt := range tests {
		if got := failureCause(tt.err); got != tt.want {
			t.Errorf("failureCause(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

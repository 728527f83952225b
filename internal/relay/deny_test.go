package relay

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan"
)

func TestDenyListMatch(t *testing.T) {
	d := denyList{"example.com", "corp.test"}
	for _, tt := range []struct {
		host, want string
	}{
		{"example.com", "example.com"},
		{"EXAMPLE.com.", "example.com"},
		{"www.example.com", "example.com"},
		{"a.b.corp.test", "corp.test"},
		{"notexample.com", ""},
		{"example.com.evil", ""},
		{"", ""},
	} {
		got, ok := d.match(tt.host)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("match(%q) = %q, %v; want %q", tt.host, got, ok, tt.want)
		}
	}
}

func TestTriggerRefusesDenied(t *testing.T) {
	for _, tg := range []Trigger{
		{"urlscan-scan-private", "domain", "example.com", "private"},
		{"urlscan-scan-private", "hostname", "Mail.Example.com", "private"},
		{"urlscan-scan-private", "url", "https://sso.example.com:8443/login?next=/", "private"},
		{"urlscan-scan-private", "url", "http://user@www.example.com./", "private"},
	} {
		f := newFake()
		s := New(f, Config{Visibilities: []string{"private"}, ScanDeny: []string{"example.com"}})
		err := s.Trigger(context.Background(), "k", tg)
		te := tr.From(err)
		if te == nil || te.Code != tr.InvalidArgument || !strings.Contains(te.Message, "example.com is on the relay's deny list (SCAN_DENY)") {
			t.Errorf("Trigger(%v) = %v, want an invalid argument naming SCAN_DENY", tg.ObservableValue, err)
		}
		if len(f.scans) != 0 {
			t.Errorf("denied %q still submitted: %v", tg.ObservableValue, f.scans)
		}
	}
	// A look-alike is not a subdomain.
	f := newFake()
	s := New(f, Config{Visibilities: []string{"private"}, ScanDeny: []string{"example.com"}})
	if err := s.Trigger(context.Background(), "k", Trigger{"urlscan-scan-private", "domain", "notexample.com", "private"}); err != nil || len(f.scans) != 1 {
		t.Errorf("notexample.com: err %v, scans %v; want one submission", err, f.scans)
	}
}

func TestRespondOffersNoScanOfDenied(t *testing.T) {
	s := New(newFake(), Config{Visibilities: []string{"private"}, ScanDeny: []string{"example.com"}})
	got := s.Respond([]ctim.Observable{
		{Type: "domain", Value: "example.com"},
		{Type: "hostname", Value: "www.EXAMPLE.com"},
		{Type: "url", Value: "https://login.example.com/x"},
		{Type: "domain", Value: "other.test"},
	})
	if len(got) != 1 || got[0].QueryParams["observable_value"] != "other.test" {
		t.Errorf("Respond = %+v, want only the scan of other.test", got)
	}
}

func TestTriggerSendsTagsAndCountry(t *testing.T) {
	f := newFake()
	s := New(f, Config{Visibilities: []string{"unlisted"}, ScanTags: []string{"xdr", "soc"}, ScanCountry: "de"})
	if err := s.Trigger(context.Background(), "k", Trigger{"urlscan-scan-unlisted", "domain", "d.test", ""}); err != nil {
		t.Fatal(err)
	}
	want := urlscan.ScanRequest{URL: "https://d.test/", Visibility: "unlisted", Tags: []string{"xdr", "soc"}, Country: "de"}
	if len(f.scans) != 1 || !cmp.Equal(f.scans[0], want) {
		t.Errorf("scans = %+v, want [%+v]", f.scans, want)
	}
}

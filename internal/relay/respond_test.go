package relay

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan"
)

func TestRespond(t *testing.T) {
	s := New(newFake(), Config{Visibilities: []string{"private", "public"}})
	got := s.Respond([]ctim.Observable{
		{Type: "ip", Value: "192.0.2.1"},
		{Type: "URL", Value: "https://x.example/"},
		{Type: "hostname", Value: "h.example"},
		{Type: "sha256", Value: "ab"},
	})
	type action struct{ id, title, desc, typ, value, vis string }
	var acts []action
	for _, a := range got {
		if !slices.Equal(a.Categories, []string{"urlscan.io", "Scan"}) || len(a.QueryParams) != 3 {
			t.Errorf("action %+v: categories or query-params wrong", a)
		}
		acts = append(acts, action{a.ID, a.Title, a.Description, a.QueryParams["observable_type"], a.QueryParams["observable_value"], a.QueryParams["visibility"]})
	}
	want := []action{
		{"urlscan-scan-private", "Scan with urlscan.io (private)", "Submit this url to urlscan.io for a private scan", "url", "https://x.example/", "private"},
		{"urlscan-scan-public", "Scan with urlscan.io (public)", "Submit this url to urlscan.io for a public scan", "url", "https://x.example/", "public"},
		{"urlscan-scan-private", "Scan with urlscan.io (private)", "Submit this hostname to urlscan.io for a private scan", "hostname", "h.example", "private"},
		{"urlscan-scan-public", "Scan with urlscan.io (public)", "Submit this hostname to urlscan.io for a public scan", "hostname", "h.example", "public"},
	}
	if !slices.Equal(acts, want) {
		t.Errorf("Respond =\n%v\nwant\n%v", acts, want)
	}
	if got := s.Respond([]ctim.Observable{{Type: "ip", Value: "192.0.2.1"}}); got == nil || len(got) != 0 {
		t.Errorf("Respond(ip) = %#v, want an empty, non-nil list", got)
	}
	all := New(newFake(), Config{Visibilities: []string{"private", "unlisted", "public"}})
	var descs []string
	for _, a := range all.Respond([]ctim.Observable{{Type: "domain", Value: "d.example"}}) {
		descs = append(descs, a.Description)
	}
	if want := []string{
		"Submit this domain to urlscan.io for a private scan",
		"Submit this domain to urlscan.io for an unlisted scan",
		"Submit this domain to urlscan.io for a public scan",
	}; !slices.Equal(descs, want) {
		t.Errorf("descriptions = %q, want %q", descs, want)
	}
}

func TestTrigger(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trigger Trigger
		want    *urlscan.ScanRequest // nil: refused as invalid argument
	}{
		{"url", Trigger{"urlscan-scan-private", "url", "https://x.example/a?b", "private"}, &urlscan.ScanRequest{URL: "https://x.example/a?b", Visibility: "private"}},
		{"http url", Trigger{"urlscan-scan-public", "URL", "HTTP://x.example", "public"}, &urlscan.ScanRequest{URL: "HTTP://x.example", Visibility: "public"}},
		{"domain", Trigger{"urlscan-scan-unlisted", "domain", "d.example", "unlisted"}, &urlscan.ScanRequest{URL: "https://d.example/", Visibility: "unlisted"}},
		{"hostname", Trigger{"urlscan-scan-private", "hostname", "www.d.example", "private"}, &urlscan.ScanRequest{URL: "https://www.d.example/", Visibility: "private"}},
		{"visibility from the action-id", Trigger{"urlscan-scan-private", "domain", "d.example", ""}, &urlscan.ScanRequest{URL: "https://d.example/", Visibility: "private"}},
		{"unknown action", Trigger{"respond-urlscan-action-url", "url", "https://x.example/", "private"}, nil},
		{"visibility not offered", Trigger{"urlscan-scan-secret", "url", "https://x.example/", "secret"}, nil},
		{"visibility disagrees with action", Trigger{"urlscan-scan-private", "url", "https://x.example/", "public"}, nil},
		{"type not scannable", Trigger{"urlscan-scan-private", "ip", "192.0.2.1", "private"}, nil},
		{"unsupported type", Trigger{"urlscan-scan-private", "email", "a@b.example", "private"}, nil},
		{"url without scheme", Trigger{"urlscan-scan-private", "url", "x.example/path", "private"}, nil},
		{"url not http", Trigger{"urlscan-scan-private", "url", "ftp://x.example/", "private"}, nil},
		{"url without host", Trigger{"urlscan-scan-private", "url", "https:///path", "private"}, nil},
		{"domain with a path", Trigger{"urlscan-scan-private", "domain", "d.example/evil", "private"}, nil},
		{"domain with credentials", Trigger{"urlscan-scan-private", "domain", "u@d.example", "private"}, nil},
		{"domain with a space", Trigger{"urlscan-scan-private", "domain", "d example", "private"}, nil},
		{"empty domain", Trigger{"urlscan-scan-private", "domain", "", "private"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			s := newTestService(f)
			err := s.Trigger(context.Background(), "k", tc.trigger)
			if tc.want == nil {
				if got := tr.From(err); err == nil || got.Code != tr.InvalidArgument {
					t.Errorf("Trigger(%+v) = %v, want invalid argument", tc.trigger, err)
				}
				if len(f.scans) != 0 {
					t.Errorf("refused trigger still submitted %v", f.scans)
				}
				return
			}
			if err != nil {
				t.Fatalf("Trigger(%+v) = %v", tc.trigger, err)
			}
			if got := f.scans; len(got) != 1 || !cmp.Equal(got[0], *tc.want) {
				t.Errorf("scans = %v, want [%v]", got, *tc.want)
			}
		})
	}
}

func TestTriggerReturnsUpstreamError(t *testing.T) {
	f := newFake()
	f.scanErr = tr.New(tr.BadRequest, "DNS Error - Could not resolve domain")
	err := newTestService(f).Trigger(context.Background(), "k", Trigger{"urlscan-scan-private", "domain", "nx.example", "private"})
	var te *tr.Error
	if !errors.As(err, &te) || te.Code != tr.BadRequest || te.Message != "DNS Error - Could not resolve domain" {
		t.Errorf("Trigger error = %v, want urlscan's bad request", err)
	}
}

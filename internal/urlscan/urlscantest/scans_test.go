package urlscantest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSubmittedScanLifecycle(t *testing.T) {
	s, c := newServer(t, Options{ScanDuration: 200 * time.Millisecond, MaliciousScans: "phish"})
	submit := func(u string) string {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/scan/", strings.NewReader(`{"url":"`+u+`","visibility":"private"}`))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ans struct{ UUID string }
		if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || ans.UUID == "" {
			t.Fatalf("scan answer: %v %+v", err, ans)
		}
		return ans.UUID
	}
	id := submit("https://phish.example/login")
	if again := submit("https://phish.example/login"); again == id {
		t.Errorf("two submissions got one uuid %s", id)
	}
	resp, body, err := get(t, c, s.URL+"/result/"+id+"/", nil)
	if err != nil || resp.StatusCode != 404 || !strings.Contains(string(body), "not finished") {
		t.Fatalf("result while running = %v %s, want 404 not finished", err, body)
	}
	time.Sleep(250 * time.Millisecond)
	resp, body, err = get(t, c, s.URL+"/result/"+id+"/", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("result when done = %v %v", err, resp)
	}
	var doc struct {
		Task     struct{ UUID, URL string }
		Page     struct{ Domain string }
		Verdicts struct{ Overall struct{ Malicious bool } }
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Task.UUID != id || doc.Page.Domain != "phish.example" || !doc.Verdicts.Overall.Malicious {
		t.Errorf("result = %+v, want the submission's, malicious", doc)
	}

	search := func() string {
		_, body, err := get(t, c, s.URL+"/search/?q="+url.QueryEscape(`page.domain:"phish.example"`), nil)
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	if strings.Contains(search(), id) {
		t.Error("search lists the scan before it is indexed")
	}
	s.IndexScans()
	if !strings.Contains(search(), id) {
		t.Error("search does not list the indexed scan")
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"urlscan-relay/internal/relay"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// deletedPerSearch is how many scans of each search of the deleted
// scenario answer 404: 4 of the request's 40.
const deletedPerSearch = 1

// deleteScans makes the fake answer 404 for the first deletedPerSearch
// scans of each search of the deleted scenario's body, as urlscan.io does
// for a deleted scan. It asks the fake for those searches to learn the ids.
func deleteScans(ctx context.Context, fake *urlscantest.Server) (int, error) {
	var obs []struct{ Type, Value string }
	if err := json.Unmarshal([]byte(deletedBody), &obs); err != nil {
		return 0, fmt.Errorf("deleted body: %w", err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	n := 0
	for _, o := range obs {
		q, err := relay.SearchQuery(o.Type, o.Value)
		if err != nil {
			return n, fmt.Errorf("deleted body: %w", err)
		}
		ids, err := searchIDs(ctx, client, fake.URL+"/search/?size=100&q="+url.QueryEscape(q))
		if err != nil {
			return n, err
		}
		for _, id := range ids[:min(len(ids), deletedPerSearch)] {
			fake.Inject(urlscantest.Fault{Endpoint: "result", Match: id, Status: http.StatusNotFound,
				Body: `{"message":"Not Found","status":404}`})
			n++
		}
	}
	return n, nil
}

// searchIDs asks the fake for a search and returns its hits' scan ids.
func searchIDs(ctx context.Context, client *http.Client, u string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("asking the fake: %w", err)
	}
	req.Header.Set("API-Key", benchAPIKey)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("asking the fake: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("asking the fake: status %d, %v", resp.StatusCode, err)
	}
	var ans struct {
		Results []struct {
			ID string `json:"_id"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		return nil, fmt.Errorf("the fake's search: %w", err)
	}
	ids := make([]string, 0, len(ans.Results))
	for _, h := range ans.Results {
		ids = append(ids, h.ID)
	}
	return ids, nil
}

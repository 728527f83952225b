package relay

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"urlscan-relay/internal/config"
	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func hit(id, when string) urlscan.Hit {
	h := urlscan.Hit{
		ID:    id,
		Stats: []urlscan.Stat{{Name: "requests", Value: "3"}},
		Page:  urlscan.Page{URL: "https://" + id + ".example/", Domain: id + ".example", IP: "192.0.2.1"},
	}
	if when != "" {
		h.Time = at(when)
	}
	return h
}

func malicious(when string, categories ...string) *urlscan.Result {
	return &urlscan.Result{
		Time:       at(when),
		ReportURL:  "https://urlscan.io/result/r/",
		Malicious:  true,
		Tags:       categories,
		Categories: categories,
	}
}

func benign() *urlscan.Result { return &urlscan.Result{Time: at("2024-01-01T00:00:00Z")} }

func newTestService(f *fakeUpstream) *Service {
	return New(f, Config{
		UIURL:        "https://urlscan.test",
		Visibilities: []string{"private", "unlisted", "public"},
		Now:          fixedNow,
		NewID:        counterIDs(),
	})
}

func sightingIDs(d ctim.ObserveData) []string {
	if d.Sightings == nil {
		return nil
	}
	var ids []string
	for _, s := range d.Sightings.Docs {
		ids = append(ids, s.ExternalIDs...)
	}
	return ids
}

func count[T any](d *ctim.Docs[T]) int {
	if d == nil {
		return 0
	}
	if d.Count != len(d.Docs) {
		panic("count disagrees with docs")
	}
	return d.Count
}

func TestObserveDeletedScanKeepsSighting(t *testing.T) {
	f := newFake()
	f.hits[`page.domain:"d.example"`] = []urlscan.Hit{hit("a", "2024-01-03T00:00:00Z"), hit("b", "2024-01-02T00:00:00Z"), hit("c", "2024-01-01T00:00:00Z")}
	f.results["a"] = malicious("2024-01-03T00:00:00Z", "phishing")
	f.resultErrs["b"] = tr.New(tr.NotFound, "gone") // wrapped below so only errors.Is can tell
	f.resultErrs["b"] = errors.Join(urlscan.ErrResultGone, f.resultErrs["b"])
	f.results["c"] = malicious("2024-01-01T00:00:00Z", "phishing")

	data, errs := newTestService(f).Observe(context.Background(), "k", []ctim.Observable{{Type: "domain", Value: "d.example"}}, 10)
	if len(errs) != 0 {
		t.Errorf("errors = %v, want none for a deleted scan", errs)
	}
	if got, want := sightingIDs(data), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("sightings = %v, want %v", got, want)
	}
	if got, want := count(data.Judgements), 2; got != want {
		t.Errorf("judgements = %d, want %d", got, want)
	}
	if got, want := count(data.Relationships), 2; got != want {
		t.Errorf("relationships = %d, want %d", got, want)
	}
}

func TestObserveOneFailureKeepsOthersData(t *testing.T) {
	f := newFake()
	f.searchErrs[`page.url.keyword:"https://bad.example/"`] = tr.Unavailable()
	f.hits[`page.ip:"192.0.2.1"`] = []urlscan.Hit{hit("a", "2024-01-03T00:00:00Z"), hit("b", "2024-01-02T00:00:00Z")}
	f.results["a"] = malicious("2024-01-03T00:00:00Z", "phishing")
	f.resultErrs["b"] = tr.New(tr.InternalError, "The URLScan internal error.")
	obs := []ctim.Observable{{Type: "url", Value: "https://bad.example/"}, {Type: "ip", Value: "192.0.2.1"}}

	data, errs := newTestService(f).Observe(context.Background(), "k", obs, 10)

	if got, want := sightingIDs(data), []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("sightings = %v, want %v (a failed result keeps its sighting)", got, want)
	}
	if got, want := count(data.Judgements), 1; got != want {
		t.Errorf("judgements = %d, want %d", got, want)
	}
	var codes []tr.Code
	for _, err := range errs {
		codes = append(codes, tr.From(err).Code)
	}
	if want := []tr.Code{tr.ServiceUnavailable, tr.InternalError}; !slices.Equal(codes, want) {
		t.Errorf("error codes = %v, want %v (search first, in observable order)", codes, want)
	}
}

func TestObserveLimit(t *testing.T) {
	var hits []urlscan.Hit
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		hits = append(hits, hit(id, "2024-01-01T00:00:00Z"))
	}
	for _, tc := range []struct {
		name       string
		limit      int
		ignoreSize bool
		wantSize   int
		want       []string
	}{
		{"cuts", 2, false, 2, []string{"a", "b"}},
		{"upstream sends more than asked", 3, true, 3, []string{"a", "b", "c"}},
		{"above what exists", 50, false, 50, []string{"a", "b", "c", "d", "e"}},
		{"no limit means the default", 0, false, config.DefaultEntitiesLimit, []string{"a", "b", "c", "d", "e"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			q := `page.domain:"d.example"`
			f.hits[q] = hits
			for _, h := range hits {
				f.results[h.ID] = malicious("2024-01-01T00:00:00Z", "x")
			}
			f.ignoreSize = tc.ignoreSize
			s := New(f, Config{NewID: counterIDs()})
			data, errs := s.Observe(context.Background(), "k", []ctim.Observable{{Type: "domain", Value: "d.example"}}, tc.limit)
			if len(errs) != 0 {
				t.Fatal(errs)
			}
			if got := sightingIDs(data); !slices.Equal(got, tc.want) {
				t.Errorf("sightings = %v, want %v", got, tc.want)
			}
			if got, want := count(data.Judgements), len(tc.want); got != want {
				t.Errorf("judgements = %d, want %d", got, want)
			}
			if got, want := f.searches[0].size, tc.wantSize; got != want {
				t.Errorf("search size = %d, want %d", got, want)
			}
			if got, want := len(f.resultsGot), len(tc.want); got != want {
				t.Errorf("result documents fetched = %d, want %d", got, want)
			}
		})
	}
}

func TestObserveMissingFields(t *testing.T) {
	f := newFake()
	f.hits[`hash:"abc"`] = []urlscan.Hit{
		{ID: "bare"},         // no time, stats or page
		{},                   // not even an id: nothing to fetch
		{ID: "timeless-hit"}, // its result has the time
	}
	f.results["bare"] = &urlscan.Result{Malicious: true} // no time, urls, tags or categories
	f.results["timeless-hit"] = &urlscan.Result{Time: at("2023-05-06T07:08:09Z"), Malicious: true, DomURL: "https://urlscan.test/dom/x/"}

	data, errs := newTestService(f).Observe(context.Background(), "k", []ctim.Observable{{Type: "sha256", Value: "abc"}}, 10)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if got, want := f.resultsGot, []string{"bare", "timeless-hit"}; !sameSet(got, want) {
		t.Errorf("result documents fetched = %v, want %v", got, want)
	}
	sg := data.Sightings.Docs
	for i, want := range []string{"2024-01-02T03:04:05.600000Z", "2024-01-02T03:04:05.600000Z", "2023-05-06T07:08:09.000000Z"} {
		if got := sg[i].ObservedTime; got.StartTime != want || got.EndTime != want {
			t.Errorf("sighting %d observed_time = %+v, want %s", i, got, want)
		}
	}
	if sg[0].Data != nil {
		t.Errorf("sighting without stats has data %+v, want none", sg[0].Data)
	}
	if sg[1].SourceURI != "" || len(sg[1].ExternalIDs) != 0 {
		t.Errorf("sighting without id: source_uri %q, external_ids %v; want neither", sg[1].SourceURI, sg[1].ExternalIDs)
	}
	jd := data.Judgements.Docs
	if got, want := jd[0].ValidTime, (ctim.ValidTime{StartTime: "2024-01-02T03:04:05.600000Z", EndTime: "2024-01-09T03:04:05.600000Z"}); got != want {
		t.Errorf("judgement without result time: valid_time = %+v, want %+v (from the sighting's)", got, want)
	}
	if got, want := len(jd[1].ExternalReferences), 1; got != want {
		t.Errorf("external_references = %v, want only the domURL", jd[1].ExternalReferences)
	}

	// Lists an analyst's tooling iterates over are [] when empty, never null.
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	d := decodeJSON(t, b).(map[string]any)
	s0 := docs(d, "sightings")[0]
	j0 := docs(d, "judgements")[0]
	for name, v := range map[string]any{
		"sighting relations":            s0["relations"],
		"sighting external_ids":         docs(d, "sightings")[1]["external_ids"],
		"judgement external_references": j0["external_references"],
	} {
		if l, ok := v.([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %#v, want []", name, v)
		}
	}
	if got, want := j0["reason"], ""; got != want {
		t.Errorf("reason = %#v, want %q", got, want)
	}
	if _, ok := j0["source_uri"]; ok {
		t.Errorf("judgement without reportURL has source_uri %v", j0["source_uri"])
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestRelationsIPTyping(t *testing.T) {
	for _, tc := range []struct {
		page urlscan.Page
		want []string // relation: source type → related type
	}{
		{urlscan.Page{URL: "u", Domain: "d", IP: "192.0.2.1"}, []string{"Contains url→domain", "Resolved_To domain→ip", "Hosted_By url→ip"}},
		{urlscan.Page{URL: "u", Domain: "d", IP: "2606:4700:3036::6818:62bd"}, []string{"Contains url→domain", "Resolved_To domain→ipv6", "Hosted_By url→ipv6"}},
		{urlscan.Page{URL: "u", IP: "::ffff:192.0.2.1"}, []string{"Hosted_By url→ipv6"}},
		{urlscan.Page{Domain: "d", IP: "not-an-ip"}, []string{"Resolved_To domain→ip"}},
		{urlscan.Page{URL: "u", Domain: "d"}, []string{"Contains url→domain"}},
		{urlscan.Page{IP: "192.0.2.1"}, nil},
	} {
		var got []string
		for _, r := range relations(tc.page) {
			if r.Origin != "urlscan.io Module" {
				t.Errorf("origin = %q", r.Origin)
			}
			got = append(got, r.Relation+" "+r.Source.Type+"→"+r.Related.Type)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("relations(%+v) = %v, want %v", tc.page, got, tc.want)
		}
	}
}

func TestObserveIndicatorsAcrossObservables(t *testing.T) {
	f := newFake()
	f.hits[`page.domain:"one.example"`] = []urlscan.Hit{hit("a", "2024-01-02T00:00:00Z"), hit("b", "2024-01-01T00:00:00Z")}
	f.hits[`page.url.keyword:"https://two.example/"`] = []urlscan.Hit{hit("c", "2024-01-03T00:00:00Z")}
	f.results["a"] = &urlscan.Result{Malicious: true, Tags: []string{"t-a"}, Categories: []string{"phishing"}}
	f.results["b"] = &urlscan.Result{Malicious: true, Tags: []string{"t-b"}, Categories: []string{"malware", "phishing", "malware"}}
	f.results["c"] = &urlscan.Result{Malicious: true, Tags: []string{"t-c"}, Categories: []string{"malware"}}
	obs := []ctim.Observable{{Type: "domain", Value: "one.example"}, {Type: "url", Value: "https://two.example/"}}

	data, errs := newTestService(f).Observe(context.Background(), "k", obs, 10)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	type ind struct{ title, tags string }
	var inds []ind
	for _, in := range data.Indicators.Docs {
		tags, _ := json.Marshal(in.Tags)
		inds = append(inds, ind{in.Title, string(tags)})
	}
	if want := []ind{{"phishing", `["t-a"]`}, {"malware", `["t-b"]`}}; !slices.Equal(inds, want) {
		t.Errorf("indicators = %v, want %v (one per category, first appearance, first result's tags)", inds, want)
	}
	byID := map[string]string{}
	for _, in := range data.Indicators.Docs {
		byID[in.ID] = in.Title
	}
	for _, sg := range data.Sightings.Docs {
		byID[sg.ID] = sg.ExternalIDs[0]
	}
	var rels []string
	for _, r := range data.Relationships.Docs {
		rels = append(rels, byID[r.SourceRef]+"→"+byID[r.TargetRef])
	}
	if want := []string{"phishing→a", "phishing→b", "malware→b", "malware→c"}; !slices.Equal(rels, want) {
		t.Errorf("relationships = %v, want %v", rels, want)
	}
}

func TestObserveVerdictNewest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		hits    []urlscan.Hit
		results map[string]*urlscan.Result
		want    string // external id of the sighting whose judgement the verdict names
	}{
		{
			name:    "newest malicious, not the first",
			hits:    []urlscan.Hit{hit("old", "2024-01-01T00:00:00Z"), hit("benign-new", "2024-03-01T00:00:00Z"), hit("new", "2024-02-01T00:00:00Z")},
			results: map[string]*urlscan.Result{"old": malicious("2020-01-01T00:00:00Z"), "benign-new": benign(), "new": malicious("2020-01-02T00:00:00Z")},
			want:    "new",
		},
		{
			name:    "ties go to the first",
			hits:    []urlscan.Hit{hit("first", "2024-01-01T00:00:00Z"), hit("second", "2024-01-01T00:00:00Z")},
			results: map[string]*urlscan.Result{"first": malicious("2020-01-01T00:00:00Z"), "second": malicious("2020-01-02T00:00:00Z")},
			want:    "first",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.hits[`page.ip:"192.0.2.1"`] = tc.hits
			f.results = tc.results
			obs := []ctim.Observable{{Type: "ip", Value: "192.0.2.1"}}
			data, errs := newTestService(f).Observe(context.Background(), "k", obs, 10)
			if len(errs) != 0 {
				t.Fatal(errs)
			}
			if got := count(data.Verdicts); got != 1 {
				t.Fatalf("verdicts = %d, want 1", got)
			}
			v := data.Verdicts.Docs[0]
			judged := map[string]ctim.Judgement{}
			jd := data.Judgements.Docs
			k := 0
			for i, sg := range data.Sightings.Docs {
				if r := tc.results[tc.hits[i].ID]; r.Malicious {
					judged[sg.ExternalIDs[0]] = jd[k]
					k++
				}
			}
			want := judged[tc.want]
			if v.JudgementID != want.ID || v.ValidTime != want.ValidTime {
				t.Errorf("verdict = %+v, want judgement %s with valid_time %+v", v, want.ID, want.ValidTime)
			}
			if v.Observable != obs[0] || v.Disposition != 2 || v.DispositionName != "Malicious" || v.Type != "verdict" {
				t.Errorf("verdict = %+v", v)
			}

			dd, errs := newTestService(f).Deliberate(context.Background(), "k", obs, 10)
			if len(errs) != 0 {
				t.Fatal(errs)
			}
			if got := count(dd.Verdicts); got != 1 {
				t.Fatalf("deliberate verdicts = %d, want 1", got)
			}
			if got := dd.Verdicts.Docs[0]; got.ValidTime != want.ValidTime || got.JudgementID != "" {
				t.Errorf("deliberate verdict = %+v, want valid_time %+v and no judgement_id", got, want.ValidTime)
			}
		})
	}
}

func TestDeliberateNothingMalicious(t *testing.T) {
	f := newFake()
	f.hits[`page.ip:"192.0.2.1"`] = []urlscan.Hit{hit("a", "2024-01-01T00:00:00Z")}
	f.results["a"] = benign()
	dd, errs := newTestService(f).Deliberate(context.Background(), "k", []ctim.Observable{{Type: "ip", Value: "192.0.2.1"}, {Type: "ip", Value: "192.0.2.2"}}, 10)
	if len(errs) != 0 || dd.Verdicts != nil {
		t.Errorf("Deliberate = %+v, %v; want no verdicts and no errors", dd, errs)
	}
}

func TestObserveNormalizesInput(t *testing.T) {
	f := newFake()
	f.hits[`page.ip:"192.0.2.1"`] = []urlscan.Hit{hit("a", "2024-01-01T00:00:00Z")}
	f.results["a"] = benign()
	obs := []ctim.Observable{{Type: "IP", Value: "192.0.2.1"}, {Type: "ip", Value: "192.0.2.1"}, {Type: "md5", Value: "x"}}
	data, errs := newTestService(f).Observe(context.Background(), "k", obs, 10)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if got, want := len(f.searches), 1; got != want {
		t.Errorf("searches = %v, want %d", f.searches, want)
	}
	if got, want := data.Sightings.Docs[0].Observables, []ctim.Observable{{Type: "ip", Value: "192.0.2.1"}}; !slices.Equal(got, want) {
		t.Errorf("observables = %v, want %v", got, want)
	}

	data, errs = newTestService(f).Observe(context.Background(), "k", obs[2:], 10)
	if data != (ctim.ObserveData{}) || errs != nil {
		t.Errorf("Observe(unsupported only) = %+v, %v; want nothing", data, errs)
	}
}

func TestObserveAPIKeyReachesUpstream(t *testing.T) {
	f := fixtureUpstream(t)
	newTestService(f).Observe(context.Background(), "the-key", []ctim.Observable{{Type: "ip", Value: "1.1.1.1"}}, 10)
	if len(f.apiKeys) != 1 || !f.apiKeys["the-key"] {
		t.Errorf("upstream saw keys %v, want only the caller's", f.apiKeys)
	}
}

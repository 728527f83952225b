package relay

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"urlscan-relay/internal/ctim"
)

// The indicator ids of the fixtures' categories: UUIDv5 in the X.500
// namespace, as Python's uuid5(NAMESPACE_X500, category) computes them.
var fixtureIndicatorIDs = []string{
	"transient:indicator-66b19d24-938b-516d-8bc3-0f5fbd4bad0c", // coinmining
	"transient:indicator-344f10f2-89cc-5bbb-9176-726345d25538", // phishing
}

func TestObserveGolden(t *testing.T) {
	f := fixtureUpstream(t)
	// NewID is left to its default so the ids' format is checked too.
	s := New(f, Config{UIURL: "https://urlscan.io/", Now: fixedNow})
	data, errs := s.Observe(context.Background(), "key", []ctim.Observable{{Type: "ip", Value: "1.1.1.1"}}, 100)
	if len(errs) != 0 {
		t.Fatalf("Observe errors: %v", errs)
	}
	if got, want := f.searches, []fakeSearch{{`page.ip:"1.1.1.1"`, 100}}; !slices.Equal(got, want) {
		t.Errorf("searches = %v, want %v", got, want)
	}

	b, err := json.Marshal(map[string]any{"data": data})
	if err != nil {
		t.Fatal(err)
	}
	got := decodeJSON(t, b).(map[string]any)
	checkObserveRefs(t, got["data"].(map[string]any))
	checkFixtureLinks(t, data)
	for i, sg := range data.Sightings.Docs {
		var names []string
		for _, c := range sg.Data.Columns {
			names = append(names, c.Name)
		}
		if want := []string{"uniqIPs", "consoleMsgs", "dataLength", "encodedDataLength", "requests"}; !slices.Equal(names, want) {
			t.Errorf("sighting %d columns = %v, want urlscan's order %v", i, names, want)
		}
	}

	stripRefs(got)
	want := decodeJSON(t, readFile(t, filepath.Join("testdata", "observe_ip_1.1.1.1.expected.json")))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observe answer differs from the fixture (-want +got):\n%s", diff)
	}
}

// checkFixtureLinks checks what the fixture cannot show once the ids are
// gone: which indicator indicates which sighting, and which judgement the
// verdict names.
func checkFixtureLinks(t *testing.T, data ctim.ObserveData) {
	t.Helper()
	var indIDs []string
	for _, in := range data.Indicators.Docs {
		indIDs = append(indIDs, in.ID)
	}
	if !slices.Equal(indIDs, fixtureIndicatorIDs) {
		t.Errorf("indicator ids = %v, want %v", indIDs, fixtureIndicatorIDs)
	}
	sg := data.Sightings.Docs
	rels := data.Relationships.Docs
	for i, want := range []struct{ source, target string }{
		{fixtureIndicatorIDs[0], sg[0].ID}, // the coinmining scan is the first hit's
		{fixtureIndicatorIDs[1], sg[1].ID},
	} {
		if got := rels[i]; got.SourceRef != want.source || got.TargetRef != want.target {
			t.Errorf("relationship %d = %s → %s, want %s → %s", i, got.SourceRef, got.TargetRef, want.source, want.target)
		}
	}
	// The first hit is the newest scan (21:35 against 19:33).
	if got, want := data.Verdicts.Docs[0].JudgementID, data.Judgements.Docs[0].ID; got != want {
		t.Errorf("verdict judgement_id = %s, want the newest scan's judgement %s", got, want)
	}
}

func TestReferGolden(t *testing.T) {
	f := fixtureUpstream(t)
	s := New(f, Config{UIURL: "https://urlscan.io"})
	refs, errs := s.Refer(context.Background(), "key", []ctim.Observable{{Type: "ip", Value: "1.1.1.1"}}, 100)
	if len(errs) != 0 {
		t.Fatalf("Refer errors: %v", errs)
	}
	if len(f.resultsGot) != 0 {
		t.Errorf("Refer fetched result documents %v; it needs the search only", f.resultsGot)
	}
	if got, want := f.searches, []fakeSearch{{`page.ip:"1.1.1.1"`, 1}}; !slices.Equal(got, want) {
		t.Errorf("searches = %v, want %v (one hit tells that one exists)", got, want)
	}
	b, err := json.Marshal(map[string]any{"data": refs})
	if err != nil {
		t.Fatal(err)
	}
	got := decodeJSON(t, b)
	want := decodeJSON(t, readFile(t, filepath.Join("testdata", "refer_ip_1.1.1.1.expected.json")))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refer answer differs from the fixture (-want +got):\n%s", diff)
	}
}

var transientID = regexp.MustCompile(`^transient:(sighting|judgement|relationship)-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkObserveRefs checks that every id has its kind's form, and that every
// reference in an observe answer points at an entity of the right kind in
// the same answer.
func checkObserveRefs(t *testing.T, data map[string]any) {
	t.Helper()
	ids := map[string]map[string]bool{}
	for _, kind := range []string{"sightings", "judgements", "indicators", "relationships"} {
		ids[kind] = map[string]bool{}
		for _, d := range docs(data, kind) {
			id, _ := d["id"].(string)
			if kind != "indicators" && !transientID.MatchString(id) {
				t.Errorf("%s id %q is not transient:<kind>-<uuid4>", kind, id)
			}
			if ids[kind][id] {
				t.Errorf("%s id %q repeated", kind, id)
			}
			ids[kind][id] = true
		}
	}
	for _, r := range docs(data, "relationships") {
		if src := r["source_ref"]; !ids["indicators"][src.(string)] {
			t.Errorf("relationship source_ref %v is no indicator of the answer", src)
		}
		if dst := r["target_ref"]; !ids["sightings"][dst.(string)] {
			t.Errorf("relationship target_ref %v is no sighting of the answer", dst)
		}
	}
	for _, v := range docs(data, "verdicts") {
		if j, _ := v["judgement_id"].(string); !ids["judgements"][j] {
			t.Errorf("verdict judgement_id %q is no judgement of the answer", j)
		}
	}
}

func docs(data map[string]any, kind string) []map[string]any {
	k, ok := data[kind].(map[string]any)
	if !ok {
		return nil
	}
	var out []map[string]any
	for _, d := range k["docs"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

// stripRefs removes, at any depth, the fields the fixtures leave out because
// they are fresh on every answer.
func stripRefs(v any) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range []string{"id", "source_ref", "target_ref", "judgement_id"} {
			delete(v, k)
		}
		for _, e := range v {
			stripRefs(e)
		}
	case []any:
		for _, e := range v {
			stripRefs(e)
		}
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkGolden compares got, as indented JSON, with the golden file name in
// testdata, or rewrites the file under -update.
func checkGolden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readFile(t, path)
	if diff := cmp.Diff(decodeJSON(t, want), decodeJSON(t, b)); diff != "" {
		t.Errorf("%s differs (-want +got; rerun with -update if the change is meant):\n%s", path, diff)
	}
}

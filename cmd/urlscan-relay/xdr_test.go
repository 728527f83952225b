package main

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"urlscan-relay/internal/config"
)

// moduleType is what the guide's test reads of a shipped module type.
type moduleType struct {
	Title        string `json:"title"`
	Logo         string `json:"logo"`
	Capabilities []struct {
		ID string `json:"id"`
	} `json:"capabilities"`
	Properties map[string]json.RawMessage `json:"properties"`
}

func readModuleType(t *testing.T, name string) moduleType {
	t.Helper()
	b, err := os.ReadFile("../../" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m moduleType
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func (m moduleType) prop(t *testing.T, name string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(m.Properties[name], &s); err != nil {
		t.Fatalf("property %s is not a string: %s", name, m.Properties[name])
	}
	return s
}

func (m moduleType) apis(t *testing.T) []string {
	t.Helper()
	var apis []string
	if err := json.Unmarshal(m.Properties["supported-apis"], &apis); err != nil {
		t.Fatal(err)
	}
	return apis
}

var (
	guideRelayCall  = regexp.MustCompile(`curl -s -X POST "\$RELAY_URL/([a-z/-]+)"`)
	guideCreate     = regexp.MustCompile(`(?m)^jq (.*) (module_type[a-z0-9_]*\.json) \| curl -s -X POST .* "https://\$XDR_HOST/iroh/iroh-int/module-type"$`)
	guideSetsProp   = regexp.MustCompile(`\.properties(?:\.([a-z_]+)|\["([a-z-]+)"\]) = \$`)
	guideCapability = regexp.MustCompile("(?m)^\\| `([a-z]+)` \\| (`[a-z/-]+`(?:, `[a-z/-]+`)*) \\|")
)

// TestXDRGuideMatchesModuleTypes checks docs/XDR.md against the shipped
// module types: it creates each from its file and fills in exactly the
// placeholders the file holds, its calls are the supported APIs, and its
// capability table is the files' capabilities.
func TestXDRGuideMatchesModuleTypes(t *testing.T) {
	raw, err := os.ReadFile("../../docs/XDR.md")
	if err != nil {
		t.Fatal(err)
	}
	guide := string(raw)
	rs := readModuleType(t, "module_type.json")
	hs := readModuleType(t, "module_type_hs256.json")

	// The two types differ only in how tokens are signed.
	if got, want := rs.prop(t, "configuration-token-alg"), "RS256"; got != want {
		t.Errorf("module_type.json alg = %s, want %s", got, want)
	}
	if !slices.Contains(config.Default().JWKSHosts, rs.prop(t, "custom_jwks_host")) {
		t.Errorf("module_type.json custom_jwks_host %s is not a default JWKS_HOSTS entry", rs.prop(t, "custom_jwks_host"))
	}
	if got, want := hs.prop(t, "configuration-token-alg"), "HS256"; got != want {
		t.Errorf("module_type_hs256.json alg = %s, want %s", got, want)
	}
	if _, ok := hs.Properties["custom_jwks_host"]; ok {
		t.Error("module_type_hs256.json names a custom_jwks_host: HS256 tokens need none")
	}
	if !slices.Equal(rs.apis(t), hs.apis(t)) || len(rs.Capabilities) != len(hs.Capabilities) {
		t.Error("the two module types declare different APIs or capabilities")
	}

	// Each file is created by one curl line that fills in every
	// placeholder the file holds, and nothing else.
	created := map[string]bool{}
	for _, m := range guideCreate.FindAllStringSubmatch(guide, -1) {
		file, filter := m[2], m[1]
		mt := readModuleType(t, file)
		created[file] = true
		var set []string
		for _, p := range guideSetsProp.FindAllStringSubmatch(filter, -1) {
			set = append(set, p[1]+p[2])
		}
		var placeholders []string
		for name := range mt.Properties {
			if v := mt.prop2(name); strings.HasPrefix(v, "<") || name == "custom_jwks_host" {
				placeholders = append(placeholders, name)
			}
		}
		slices.Sort(set)
		slices.Sort(placeholders)
		if !slices.Equal(set, placeholders) {
			t.Errorf("the guide sets %v in %s, whose placeholders are %v", set, file, placeholders)
		}
		if mt.prop(t, "url") != mt.prop(t, "configuration-token-audience") {
			t.Errorf("%s: url and configuration-token-audience differ; XDR's token names the url", file)
		}
	}
	for _, f := range []string{"module_type.json", "module_type_hs256.json"} {
		if !created[f] {
			t.Errorf("the guide has no curl line that creates %s", f)
		}
	}

	// The calls XDR makes are the supported APIs, each once.
	var calls []string
	for _, m := range guideRelayCall.FindAllStringSubmatch(guide, -1) {
		calls = append(calls, m[1])
	}
	if !slices.Equal(calls, rs.apis(t)) {
		t.Errorf("the guide's calls %v, want the supported-apis %v in order", calls, rs.apis(t))
	}

	// The capability table names the files' capabilities and their APIs.
	var caps, capAPIs []string
	for _, m := range guideCapability.FindAllStringSubmatch(guide, -1) {
		caps = append(caps, m[1])
		for _, api := range strings.Split(m[2], ", ") {
			capAPIs = append(capAPIs, strings.Trim(api, "`"))
		}
	}
	var want []string
	for _, c := range rs.Capabilities {
		want = append(want, c.ID)
	}
	if !slices.Equal(caps, want) {
		t.Errorf("the guide's capabilities %v, want %v", caps, want)
	}
	if !slices.Equal(capAPIs, rs.apis(t)) {
		t.Errorf("the guide's capability APIs %v, want %v", capAPIs, rs.apis(t))
	}
}

// prop2 is a property's string value, or "" when it is not a string.
func (m moduleType) prop2(name string) string {
	var s string
	_ = json.Unmarshal(m.Properties[name], &s)
	return s
}

// TestModuleTypeLogo checks that both module types carry the same small
// SVG logo as a data URI.
func TestModuleTypeLogo(t *testing.T) {
	rs, hs := readModuleType(t, "module_type.json"), readModuleType(t, "module_type_hs256.json")
	if rs.Logo != hs.Logo {
		t.Error("the module types carry different logos")
	}
	b64, ok := strings.CutPrefix(rs.Logo, "data:image/svg+xml;base64,")
	if !ok {
		t.Fatalf("logo %.40q is not an SVG data URI", rs.Logo)
	}
	svg, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(svg) > 4<<10 {
		t.Fatalf("logo: %d bytes, %v; want valid base64 of at most 4 KiB", len(svg), err)
	}
	dec := xml.NewDecoder(strings.NewReader(string(svg)))
	var root string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("logo is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Space + " " + se.Name.Local
		}
	}
	if root != "http://www.w3.org/2000/svg svg" {
		t.Errorf("logo root element = %q, want an SVG", root)
	}
}

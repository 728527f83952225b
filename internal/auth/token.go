package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

const (
	maxTokenBytes = 16 << 10
	maxKidLen     = 256
	leeway        = 60 * time.Second
)

// unverified is a compact JWS split into its parts, before any check of
// its signature: only good for choosing the host and key to check it with.
type unverified struct {
	header  map[string]json.RawMessage
	payload map[string]json.RawMessage
}

// decodeCompact reads a compact JWS: three base64url parts, the first two
// JSON objects. The signature is decoded only to be sure it is base64url.
func decodeCompact(token string) (*unverified, bool) {
	if len(token) > maxTokenBytes {
		return nil, false
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	header, ok := decodeObject(parts[0])
	if !ok {
		return nil, false
	}
	payload, ok := decodeObject(parts[1])
	if !ok {
		return nil, false
	}
	if _, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return nil, false
	}
	return &unverified{header: header, payload: payload}, true
}

func decodeObject(part string) (map[string]json.RawMessage, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return nil, false
	}
	return jsonObject(raw)
}

// jsonObject decodes a JSON object; "null" and every other JSON value are
// refused.
func jsonObject(raw []byte) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// stringField is m[name] when it is a JSON string.
func stringField(m map[string]json.RawMessage, name string) (string, bool) {
	raw, ok := m[name]
	if !ok || !isJSONString(raw) {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

func isJSONString(raw json.RawMessage) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '"'
}

// numberField is m[name] when it is a JSON number (never a numeric
// string). Numbers too large for float64 come back as ±Inf.
func numberField(m map[string]json.RawMessage, name string) (v float64, present, ok bool) {
	raw, present := m[name]
	if !present {
		return 0, false, false
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, true, false
	}
	// raw is a JSON number (it came out of a valid JSON object and starts
	// like one), so ParseFloat can only fail with a range error, and then
	// it still gives the nearest value: ±Inf or 0.
	f, _ := strconv.ParseFloat(string(raw), 64)
	return f, true, true
}

// saneKid refuses kids no JWKS of SecureX has, before anything is fetched
// for them: empty, long, or shaped like a path.
func saneKid(kid string) bool {
	if kid == "" || len(kid) > maxKidLen || strings.Contains(kid, "..") || strings.ContainsRune(kid, '/') {
		return false
	}
	for _, c := range []byte(kid) {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// audienceMatches reports whether aud (a string or a list of strings)
// names one of want. A trailing slash is ignored on both sides: SecureX
// users type the relay URL either way.
func audienceMatches(raw json.RawMessage, want []string) bool {
	var aud []string
	if isJSONString(raw) {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return false
		}
		aud = []string{s}
	} else if json.Unmarshal(raw, &aud) != nil {
		return false
	}
	for _, a := range aud {
		a = strings.TrimSuffix(a, "/")
		if a == "" {
			continue
		}
		for _, w := range want {
			if a == strings.TrimSuffix(w, "/") {
				return true
			}
		}
	}
	return false
}

// entitiesLimit reads CTR_ENTITIES_LIMIT: a positive integer, as a JSON
// number or a string of digits, capped at math.MaxInt32; 0 for anything
// else, so that the caller applies its default.
func entitiesLimit(m map[string]json.RawMessage) int {
	raw, ok := m["CTR_ENTITIES_LIMIT"]
	if !ok {
		return 0
	}
	if isJSONString(raw) {
		s, _ := stringField(m, "CTR_ENTITIES_LIMIT")
		return digitsLimit(s)
	}
	f, _, ok := numberField(m, "CTR_ENTITIES_LIMIT")
	if !ok || !(f > 0) || f != math.Trunc(f) {
		return 0
	}
	if f >= math.MaxInt32 {
		return math.MaxInt32
	}
	return int(f)
}

func digitsLimit(s string) int {
	if s == "" {
		return 0
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0
		}
		if d := int(c - '0'); n <= (math.MaxInt32-d)/10 {
			n = n*10 + d
		} else {
			n = math.MaxInt32
		}
	}
	return n
}

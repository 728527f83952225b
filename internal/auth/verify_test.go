package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"urlscan-relay/internal/tr"
)

// raw builds a compact token from literal parts, for shapes no signer
// would produce.
func raw(header, payload, sig string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte(sig))
}

// tamper changes one character in the middle of a token part, where every
// base64url character carries six bits of data.
func tamper(token string, part int) string {
	parts := strings.Split(token, ".")
	p := []byte(parts[part])
	i := len(p) / 2
	if p[i] == 'A' {
		p[i] = 'B'
	} else {
		p[i] = 'A'
	}
	parts[part] = string(p)
	return strings.Join(parts, ".")
}

// swapPayload replaces a token's payload, keeping its header and
// signature.
func swapPayload(token string, claims map[string]any) string {
	b, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	parts := strings.Split(token, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

func TestVerifySteps(t *testing.T) {
	f := newFixture(t)
	iss := f.iss
	now := f.clock.Now().Unix()
	good := goodClaims()
	valid := iss.Token(good)

	const (
		denied = "permission denied"
	)
	tests := []struct {
		name string
		auth string
		// msg is the text after "Authorization failed: ", or denied.
		msg string
		// want are the claims of an accepted token.
		want *Claims
	}{
		// 1. The header.
		{name: "missing header", auth: "", msg: msgHeaderMissing},
		{name: "only a scheme", auth: "Bearer", msg: msgHeaderMissing},
		{name: "scheme and blanks", auth: "Bearer   ", msg: msgHeaderMissing},
		{name: "lower-case scheme only", auth: "bearer", msg: msgHeaderMissing},
		{name: "blank header", auth: "   ", msg: msgHeaderMissing},
		{name: "another scheme only", auth: "Basic", msg: msgWrongType},
		{name: "basic scheme", auth: "Basic " + valid, msg: msgWrongType},
		{name: "three words", auth: "Bearer " + valid + " extra", msg: msgWrongType},
		{name: "token without scheme", auth: valid, msg: msgWrongType},
		{name: "lower-case bearer", auth: "bearer " + valid, want: &Claims{Key: "urlscan-key"}},
		{name: "upper-case bearer", auth: "BEARER " + valid, want: &Claims{Key: "urlscan-key"}},
		{name: "extra spaces", auth: "  Bearer   " + valid + " ", want: &Claims{Key: "urlscan-key"}},

		// 2. Shape and jwks_host.
		{name: "not a JWT", auth: bearer("not-a-jwt"), msg: msgWrongJWT},
		{name: "two parts", auth: bearer("abc.def"), msg: msgWrongJWT},
		{name: "four parts", auth: bearer(valid + ".abc"), msg: msgWrongJWT},
		{name: "header not base64url", auth: bearer("a*b." + strings.SplitN(valid, ".", 2)[1]), msg: msgWrongJWT},
		{name: "header not JSON", auth: bearer(raw("nope", `{"jwks_host":"x"}`, "s")), msg: msgWrongJWT},
		{name: "header JSON null", auth: bearer(raw("null", `{"jwks_host":"x"}`, "s")), msg: msgWrongJWT},
		{name: "payload a list", auth: bearer(raw(`{"alg":"RS256"}`, `["jwks_host"]`, "s")), msg: msgWrongJWT},
		{name: "signature not base64url", auth: bearer(valid[:strings.LastIndexByte(valid, '.')] + ".!!"), msg: msgWrongJWT},
		{name: "token over 16 KiB", auth: bearer(iss.Token(with(good, "pad", strings.Repeat("x", 16<<10)))), msg: msgWrongJWT},
		{name: "no jwks_host", auth: bearer(iss.Token(with(good, "jwks_host", nil))), msg: msgHostMissing},
		{name: "jwks_host not a string", auth: bearer(iss.Token(with(good, "jwks_host", 42))), msg: msgHostMissing},

		// 3. The allow-list.
		{name: "jwks_host not allowed", auth: bearer(iss.Token(with(good, "jwks_host", "visibility.amp.cisco.com"))), msg: msgWrongHost},
		{name: "empty jwks_host", auth: bearer(iss.Token(with(good, "jwks_host", ""))), msg: msgWrongHost},
		{name: "host refused before alg", auth: bearer(iss.SignWith(nil, with(good, "jwks_host", "evil.example.com"), "none")), msg: msgWrongHost},

		// 5. The kid.
		{name: "no kid", auth: bearer(iss.SignWith(map[string]any{"kid": nil}, good, "RS256")), msg: msgKidNotFound},
		{name: "kid not a string", auth: bearer(iss.SignWith(map[string]any{"kid": 7}, good, "RS256")), msg: msgKidNotFound},
		{name: "unknown kid", auth: bearer(iss.SignWith(map[string]any{"kid": "other-kid"}, good, "RS256")), msg: msgKidNotFound},
		{name: "kid with slash", auth: bearer(iss.SignWith(map[string]any{"kid": "../test-kid"}, good, "RS256")), msg: msgKidNotFound},
		{name: "kid too long", auth: bearer(iss.SignWith(map[string]any{"kid": strings.Repeat("k", 257)}, good, "RS256")), msg: msgKidNotFound},
		{name: "kid with control", auth: bearer(iss.SignWith(map[string]any{"kid": "test-kid\n"}, good, "RS256")), msg: msgKidNotFound},

		// 6. Algorithm and signature.
		{name: "RS256 signed by hand", auth: bearer(iss.SignWith(nil, good, "RS256")), want: &Claims{Key: "urlscan-key"}},
		{name: "alg none", auth: bearer(iss.SignWith(nil, good, "none")), msg: msgWrongKey},
		{name: "alg None", auth: bearer(iss.SignWith(map[string]any{"alg": "None"}, good, "none")), msg: msgWrongKey},
		{name: "no alg", auth: bearer(iss.SignWith(map[string]any{"alg": nil}, good, "RS256")), msg: msgWrongKey},
		{name: "HS256 keyed with the public key", auth: bearer(iss.SignWith(nil, good, "HS256")), msg: msgWrongKey},
		{name: "ES256", auth: bearer(iss.SignWith(nil, good, "ES256")), msg: msgWrongKey},
		{name: "PS256 with the right key", auth: bearer(iss.SignWith(nil, good, "PS256")), msg: msgWrongKey},
		{name: "RS512 with the right key", auth: bearer(iss.SignWith(nil, good, "RS512")), msg: msgWrongKey},
		{name: "RS512 signature under RS256 header", auth: bearer(iss.SignWith(map[string]any{"alg": "RS256"}, good, "RS512")), msg: msgWrongKey},
		{name: "tampered signature", auth: bearer(tamper(valid, 2)), msg: msgWrongKey},
		{name: "payload swapped", auth: bearer(swapPayload(valid, with(good, "jwks_host", iss.Host(), "key", "stolen"))), msg: msgWrongKey},
		{name: "empty signature", auth: bearer(valid[:strings.LastIndexByte(valid, '.')+1]), msg: msgWrongKey},
		{name: "unknown crit header", auth: bearer(iss.SignWith(map[string]any{"crit": []string{"zip"}, "zip": 1}, good, "RS256")), msg: msgWrongKey},

		{name: "aud mismatch", auth: bearer(iss.Token(with(good, "aud", "https://other.example.com"))), msg: msgWrongAudience},
		{name: "aud missing", auth: bearer(iss.Token(with(good, "aud", nil))), msg: msgWrongAudience},
		{name: "aud a number", auth: bearer(iss.Token(with(good, "aud", 1))), msg: msgWrongAudience},
		{name: "aud empty", auth: bearer(iss.Token(with(good, "aud", ""))), msg: msgWrongAudience},
		{name: "aud list with ours", auth: bearer(iss.Token(with(good, "aud", []string{"https://a.example.com", testAudience}))), want: &Claims{Key: "urlscan-key"}},
		{name: "aud list without ours", auth: bearer(iss.Token(with(good, "aud", []string{"https://a.example.com"}))), msg: msgWrongAudience},
		{name: "aud list with a non-string", auth: bearer(iss.Token(with(good, "aud", []any{1, testAudience}))), msg: msgWrongAudience},
		{name: "aud with trailing slash", auth: bearer(iss.Token(with(good, "aud", testAudience+"/"))), want: &Claims{Key: "urlscan-key"}},
		{name: "aud prefix only", auth: bearer(iss.Token(with(good, "aud", testAudience+".evil.com"))), msg: msgWrongAudience},

		{name: "expired", auth: bearer(iss.Token(with(good, "exp", now-3600))), msg: msgExpired},
		{name: "expired within leeway", auth: bearer(iss.Token(with(good, "exp", now-30))), want: &Claims{Key: "urlscan-key"}},
		{name: "expired just past leeway", auth: bearer(iss.Token(with(good, "exp", now-61))), msg: msgExpired},
		{name: "no exp", auth: bearer(iss.Token(with(good, "exp", nil))), want: &Claims{Key: "urlscan-key"}},
		{name: "exp a string", auth: bearer(iss.Token(with(good, "exp", "2999999999"))), msg: msgWrongPayload},
		{name: "not yet valid", auth: bearer(iss.Token(with(good, "nbf", now+3600))), msg: msgNotYetValid},
		{name: "nbf within leeway", auth: bearer(iss.Token(with(good, "nbf", now+30))), want: &Claims{Key: "urlscan-key"}},
		{name: "nbf in the past", auth: bearer(iss.Token(with(good, "nbf", now-30))), want: &Claims{Key: "urlscan-key"}},
		{name: "nbf a bool", auth: bearer(iss.Token(with(good, "nbf", true))), msg: msgWrongPayload},
		{name: "audience before expiry", auth: bearer(iss.Token(with(good, "aud", "x", "exp", now-3600))), msg: msgWrongAudience},

		// 7. The key.
		{name: "key missing", auth: bearer(iss.Token(with(good, "key", nil))), msg: msgWrongPayload},
		{name: "key not a string", auth: bearer(iss.Token(with(good, "key", 12345))), msg: msgWrongPayload},
		{name: "key empty", auth: bearer(iss.Token(with(good, "key", ""))), msg: denied},
		{name: "expiry before key", auth: bearer(iss.Token(with(good, "key", "", "exp", now-3600))), msg: msgExpired},

		// 8. CTR_ENTITIES_LIMIT.
		{name: "limit 50", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", 50))), want: &Claims{Key: "urlscan-key", EntitiesLimit: 50}},
		{name: "limit \"50\"", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", "50"))), want: &Claims{Key: "urlscan-key", EntitiesLimit: 50}},
		{name: "limit junk", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", "junk"))), want: &Claims{Key: "urlscan-key"}},
		{name: "limit -1", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", -1))), want: &Claims{Key: "urlscan-key"}},
		{name: "limit \"-1\"", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", "-1"))), want: &Claims{Key: "urlscan-key"}},
		{name: "limit 0", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", 0))), want: &Claims{Key: "urlscan-key"}},
		{name: "limit 5.5", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", 5.5))), want: &Claims{Key: "urlscan-key"}},
		{name: "limit \"5.5\"", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", "5.5"))), want: &Claims{Key: "urlscan-key"}},
		{name: "limit 1e12", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", json.Number("1e12")))), want: &Claims{Key: "urlscan-key", EntitiesLimit: math.MaxInt32}},
		{name: "limit 1e400", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", json.Number("1e400")))), want: &Claims{Key: "urlscan-key", EntitiesLimit: math.MaxInt32}},
		{name: "limit 5.0", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", json.Number("5.0")))), want: &Claims{Key: "urlscan-key", EntitiesLimit: 5}},
		{name: "limit huge digits", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", "99999999999999999999999"))), want: &Claims{Key: "urlscan-key", EntitiesLimit: math.MaxInt32}},
		{name: "limit true", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", true))), want: &Claims{Key: "urlscan-key"}},
		{name: "limit empty string", auth: bearer(iss.Token(with(good, "CTR_ENTITIES_LIMIT", ""))), want: &Claims{Key: "urlscan-key"}},
		{name: "limit absent", auth: bearer(valid), want: &Claims{Key: "urlscan-key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.v.Verify(context.Background(), tt.auth, []string{testAudience})
			if tt.want != nil {
				if err != nil {
					t.Fatalf("Verify: %v, want claims %+v", err, *tt.want)
				}
				if *got != *tt.want {
					t.Errorf("claims = %+v, want %+v", *got, *tt.want)
				}
				return
			}
			if got != nil {
				t.Errorf("claims = %+v, want none", *got)
			}
			if tt.msg == denied {
				te := trError(t, err)
				if te.Code != tr.PermissionDenied || te.Message != tr.MsgMissingKey {
					t.Errorf("error = %q %q, want %q %q", te.Code, te.Message, tr.PermissionDenied, tr.MsgMissingKey)
				}
				return
			}
			wantAuthError(t, err, tt.msg)
			if fields := strings.Fields(tt.auth); len(fields) > 1 && len(fields[1]) > 20 && strings.Contains(err.Error(), fields[1]) {
				t.Errorf("error %q carries the token", err)
			}
		})
	}
	// Every one of those cases was answered from one key set.
	if got, want := iss.Fetches(), int64(1); got != want {
		t.Errorf("JWKS fetches = %d, want %d", got, want)
	}
}

// TestVerifyRefusesBeforeFetching checks that refusals of steps 1 to 3,
// and of hopeless kids, send nothing anywhere.
func TestVerifyRefusesBeforeFetching(t *testing.T) {
	f := newFixture(t)
	good := goodClaims()
	tokens := []string{
		"",
		"Basic abc",
		bearer("x.y.z"),
		bearer(f.iss.Token(with(good, "pad", strings.Repeat("x", 17<<10)))),
		bearer(f.iss.Token(with(good, "jwks_host", nil))),
		bearer(f.iss.Token(with(good, "jwks_host", "visibility.amp.cisco.com"))),
		bearer(f.iss.SignWith(map[string]any{"kid": nil}, good, "RS256")),
		bearer(f.iss.SignWith(map[string]any{"kid": "a/b"}, good, "RS256")),
		bearer(f.iss.SignWith(map[string]any{"kid": ".."}, good, "RS256")),
		bearer(f.iss.SignWith(map[string]any{"kid": ""}, good, "RS256")),
	}
	for _, tok := range tokens {
		if _, err := f.v.Verify(context.Background(), tok, []string{testAudience}); err == nil {
			t.Errorf("Verify accepted a token that should fail")
		}
	}
	if got := f.outbound.Count(); got != 0 {
		t.Errorf("outbound requests = %d, want 0", got)
	}
}

func TestVerifyKeepsSecretsOutOfErrors(t *testing.T) {
	f := newFixture(t)
	const key = "secret-urlscan-key-0123456789"
	tokens := []string{
		f.iss.Token(with(goodClaims(), "key", key, "aud", "https://wrong.example.com")),
		f.iss.Token(with(goodClaims(), "key", key, "exp", 1)),
		tamper(f.iss.Token(with(goodClaims(), "key", key)), 2),
	}
	for _, tok := range tokens {
		_, err := f.v.Verify(context.Background(), bearer(tok), []string{testAudience})
		if err == nil {
			t.Fatal("Verify accepted a bad token")
		}
		if s := err.Error(); strings.Contains(s, key) || strings.Contains(s, tok) {
			t.Errorf("error %q carries a secret", s)
		}
	}
}

func TestVerifyRequiresAnAudience(t *testing.T) {
	f := newFixture(t)
	_, err := f.v.Verify(context.Background(), bearer(f.iss.Token(goodClaims())), nil)
	wantAuthError(t, err, msgWrongAudience)
}

package auth

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A token verified once is not verified again, but its audience and expiry
// are still checked on every request, and the memory ends with the key set's
// cache period.
func TestVerifiedTokenIsStillCheckedEveryTime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	exp := f.clock.Now().Add(10 * time.Minute).Unix()
	token := f.iss.Token(with(goodClaims(), "exp", exp))

	if _, err := f.v.Verify(ctx, bearer(token), []string{testAudience}); err != nil {
		t.Fatalf("first Verify: %v", err)
	}
	if n := len(f.v.verified.entries); n != 1 {
		t.Fatalf("verified tokens = %d, want 1", n)
	}
	claims, err := f.v.Verify(ctx, bearer(token), []string{testAudience})
	if err != nil || claims.Key != "urlscan-key" {
		t.Fatalf("second Verify = %+v, %v", claims, err)
	}
	_, err = f.v.Verify(ctx, bearer(token), []string{"https://elsewhere.example"})
	wantAuthError(t, err, msgWrongAudience)

	f.clock.Advance(11*time.Minute + leeway)
	_, err = f.v.Verify(ctx, bearer(token), []string{testAudience})
	wantAuthError(t, err, msgExpired)

	tampered := token[:len(token)-2] + "AA"
	_, err = f.v.Verify(ctx, bearer(tampered), []string{testAudience})
	wantAuthError(t, err, msgWrongKey)
}

func TestVerifiedTokensForgetAfterTheKeySetPeriod(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	token := f.iss.Token(with(goodClaims(), "exp", f.clock.Now().Add(48*time.Hour).Unix()))
	if _, err := f.v.Verify(ctx, bearer(token), []string{testAudience}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(DefaultCacheTTL + time.Second)
	if _, ok := f.v.verified.get(token, f.clock.Now()); ok {
		t.Error("a verified token outlived the key set's cache period")
	}
}

// A full memory forgets what has expired and keeps what is still live: one
// new token must not push out the others, even though it expires after
// every one of them, as a new entry always does.
func TestVerifiedTokensFullKeepsLiveEntries(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var v verifiedTokens
	const expired = maxVerified / 4
	for i := range maxVerified {
		exp := now.Add(time.Duration(i+1) * time.Second) // live, earlier than the newcomer's
		if i < expired {
			exp = now.Add(-time.Second)
		}
		v.put(fmt.Sprint("token-", i), nil, now.Add(-time.Minute), exp)
	}
	v.put("newcomer", nil, now, now.Add(time.Hour))
	if got, want := len(v.entries), maxVerified-expired+1; got != want {
		t.Errorf("entries after one put into a full memory = %d, want %d (the live ones and the newcomer)", got, want)
	}
	for _, tok := range []string{"newcomer", fmt.Sprint("token-", expired), fmt.Sprint("token-", maxVerified-1)} {
		if _, ok := v.get(tok, now); !ok {
			t.Errorf("%s was forgotten while live", tok)
		}
	}
	if _, ok := v.get("token-0", now); ok {
		t.Error("an expired token is still remembered")
	}

	// A memory full of live tokens forgets a tenth, not all of them.
	var full verifiedTokens
	for i := range maxVerified {
		full.put(fmt.Sprint("live-", i), nil, now, now.Add(time.Hour))
	}
	full.put("one-more", nil, now, now.Add(2*time.Hour))
	if got := len(full.entries); got < maxVerified*9/10 || got > maxVerified {
		t.Errorf("entries after one put into a memory of live tokens = %d, want %d to %d", got, maxVerified*9/10, maxVerified)
	}
}

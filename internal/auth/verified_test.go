package auth

import (
	"context"
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

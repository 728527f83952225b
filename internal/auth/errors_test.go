package auth

import (
	"context"
	"fmt"
	"testing"

	"urlscan-relay/internal/tr"
)

// IsWrongAudience knows Verify's refusal by its type, however it is
// wrapped, and no other error, not even one that reads the same; the
// refusal the analyst reads is the *tr.Error it always was.
func TestIsWrongAudience(t *testing.T) {
	f := newFixture(t)
	verify := func(claims map[string]any) error {
		t.Helper()
		_, err := f.v.Verify(context.Background(), bearer(f.iss.Token(claims)), []string{testAudience})
		if err == nil {
			t.Fatal("Verify accepted the token")
		}
		return err
	}
	wrongAud := verify(with(goodClaims(), "aud", "https://other.example"))
	lookalike := tr.New(tr.AuthorizationError, "Authorization failed: "+msgWrongAudience)

	if got, want := *tr.From(wrongAud), *lookalike; got != want {
		t.Errorf("the client reads %+v, want %+v", got, want)
	}
	if got, want := wrongAud.Error(), lookalike.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"Verify's refusal", wrongAud, true},
		{"Verify's refusal, wrapped", fmt.Errorf("authorize: %w", wrongAud), true},
		{"the same code and message, built by hand", lookalike, false},
		{"the same text, wrapped", fmt.Errorf("x: %w", lookalike), false},
		{"another refusal", verify(with(goodClaims(), "exp", 1000)), false},
		{"nil", nil, false},
	} {
		if got := IsWrongAudience(tt.err); got != tt.want {
			t.Errorf("%s: IsWrongAudience(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

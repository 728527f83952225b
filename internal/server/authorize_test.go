package server

import (
	"context"
	"testing"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/tr"
)

// refusingVerifier refuses every token with err.
type refusingVerifier struct{ err error }

func (v refusingVerifier) Verify(context.Context, string, []string) (*auth.Claims, error) {
	return nil, v.err
}

// The derived audience is added only to the verifier's wrong-audience
// refusal (TestBasePathAudience): a refusal that merely reads the same is
// answered as it is.
func TestAuthorizeKnowsAWrongAudienceByItsType(t *testing.T) {
	lookalike := tr.New(tr.AuthorizationError, "Authorization failed: Wrong configuration-token-audience")
	h, _ := newTestServer(t, &fakeRelay{}, func(d *Deps) { d.Verifier = refusingVerifier{lookalike} })
	_, got := do(t, h, "POST", "/observe/observables", `[{"type":"ip","value":"1.1.1.1"}]`, bearer)
	want := `{"errors":[{"code":"authorization error","message":"Authorization failed: Wrong configuration-token-audience","type":"fatal"}]}`
	if asJSON(got) != want {
		t.Errorf("answer = %s, want %s: the refusal as it is", asJSON(got), want)
	}
}

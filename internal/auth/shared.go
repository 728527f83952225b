package auth

import "github.com/go-jose/go-jose/v4"

// verifyShared verifies an HS256 token with the shared key. No jwks_host
// or kid is needed: there is one key.
func (v *Verifier) verifyShared(token string, audiences []string) (*Claims, *failure) {
	return v.acceptSigned(token, jose.HS256, v.shared, audiences)
}

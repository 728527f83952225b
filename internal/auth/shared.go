package auth

import "github.com/go-jose/go-jose/v4"

// verifyShared verifies an HS256 token with the shared key. No jwks_host
// or kid is needed: there is one key.
func (v *Verifier) verifyShared(token string, audiences []string) (*Claims, *failure) {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		return nil, authFailure(reasonSignature, msgWrongKey)
	}
	payload, err := jws.Verify(v.shared)
	if err != nil {
		return nil, authFailure(reasonSignature, msgWrongKey)
	}
	claims, ok := jsonObject(payload)
	if !ok {
		return nil, authFailure(reasonPayload, msgWrongPayload)
	}
	now := v.now()
	v.verified.put(token, claims, now, now.Add(v.ttl))
	return v.grant(claims, audiences)
}

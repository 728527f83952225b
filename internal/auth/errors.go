package auth

import (
	"errors"

	"urlscan-relay/internal/tr"
)

// The messages of PROTOCOL.md §3, which SecureX users know; each follows
// "Authorization failed: ".
const (
	msgHeaderMissing = "Authorization header is missing"
	msgWrongType     = "Wrong authorization type"
	msgWrongJWT      = "Wrong JWT structure"
	msgHostMissing   = "jwks_host is missing in JWT payload. Make sure custom_jwks_host field is present in module_type"
	msgWrongHost     = "Wrong jwks_host in JWT payload. Make sure domain follows the visibility.<region>.cisco.com structure"
	msgWrongPayload  = "Wrong JWT payload structure"
	msgKidNotFound   = "kid from JWT header not found in API response"
	msgWrongKey      = "Failed to decode JWT with provided key. Make sure domain in custom_jwks_host corresponds to your SecureX instance region."
	msgWrongAudience = "Wrong configuration-token-audience"
	msgExpired       = "Token has expired"
	msgNotYetValid   = "Token is not yet valid"
)

// reason is the auth_failures_total label of a failed step; the set is
// fixed so that the metric's cardinality is.
type reason string

const (
	reasonHeader      reason = "header"
	reasonStructure   reason = "structure"
	reasonJWKSHost    reason = "jwks_host"
	reasonJWKS        reason = "jwks"
	reasonKid         reason = "kid"
	reasonSignature   reason = "signature"
	reasonAudience    reason = "audience"
	reasonExpired     reason = "expired"
	reasonNotYetValid reason = "not_yet_valid"
	reasonPayload     reason = "payload"
	reasonMissingKey  reason = "missing_key"
)

func allReasons() []reason {
	return []reason{
		reasonHeader, reasonStructure, reasonJWKSHost, reasonJWKS, reasonKid, reasonSignature,
		reasonAudience, reasonExpired, reasonNotYetValid, reasonPayload, reasonMissingKey,
	}
}

// failure is a failed check: what the analyst reads and what the metric
// counts.
type failure struct {
	reason reason
	err    *tr.Error
}

func authFailure(r reason, msg string) *failure {
	return &failure{reason: r, err: tr.New(tr.AuthorizationError, "Authorization failed: "+msg)}
}

func missingKey() *failure {
	return &failure{reason: reasonMissingKey, err: tr.New(tr.PermissionDenied, tr.MsgMissingKey)}
}

// wrongAudience is Verify's refusal of a token whose aud names none of
// the request's audiences: the *tr.Error the analyst reads, in a type of
// its own so that IsWrongAudience knows it by what it is, not by its text.
type wrongAudience struct{ te *tr.Error }

func (e *wrongAudience) Error() string { return e.te.Error() }
func (e *wrongAudience) Unwrap() error { return e.te }

// IsWrongAudience reports whether err is, or wraps, Verify's refusal of a
// token whose aud names another URL, so that the caller can say which URL
// it expected. An error that only reads the same is not one.
func IsWrongAudience(err error) bool {
	var wa *wrongAudience
	return errors.As(err, &wa)
}

package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	_ "crypto/sha512" // registers SHA-384 and SHA-512 for crypto.Hash.New
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Token is a valid RS256 token with header kid KeyID. It fills jwks_host
// with Host() and exp with an hour from now unless claims has them; a nil
// value in claims leaves that claim out.
func (i *Issuer) Token(claims map[string]any) string {
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: i.key, KeyID: KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		panic(fmt.Sprintf("authtest: signer: %v", err))
	}
	jws, err := signer.Sign(mustJSON(i.claims(claims)))
	if err != nil {
		panic(fmt.Sprintf("authtest: sign: %v", err))
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		panic(fmt.Sprintf("authtest: serialize: %v", err))
	}
	return token
}

// SignWith builds a token the way an attacker might: header and claims
// are merged over the defaults of Token (header alg=alg, typ=JWT,
// kid=KeyID; a nil value leaves a field out) and the signature is made
// for alg whatever the header says:
//
//   - "none": empty signature;
//   - "RS256", "RS384", "RS512", "PS256": the issuer's RSA key;
//   - "HS256": HMAC keyed with the issuer's public key in PEM, the classic
//     algorithm-confusion attack;
//   - "ES256": a throwaway P-256 key;
//   - anything else: a few junk bytes.
func (i *Issuer) SignWith(header map[string]any, claims map[string]any, alg string) string {
	h := merge(map[string]any{"alg": alg, "typ": "JWT", "kid": KeyID}, header)
	input := b64(mustJSON(h)) + "." + b64(mustJSON(i.claims(claims)))
	return input + "." + b64(i.signature(alg, []byte(input)))
}

func (i *Issuer) signature(alg string, input []byte) []byte {
	sum := func(h crypto.Hash) []byte {
		d := h.New()
		d.Write(input)
		return d.Sum(nil)
	}
	var (
		sig []byte
		err error
	)
	switch alg {
	case "none":
		return nil
	case "RS256":
		sig, err = rsa.SignPKCS1v15(rand.Reader, i.key, crypto.SHA256, sum(crypto.SHA256))
	case "RS384":
		sig, err = rsa.SignPKCS1v15(rand.Reader, i.key, crypto.SHA384, sum(crypto.SHA384))
	case "RS512":
		sig, err = rsa.SignPKCS1v15(rand.Reader, i.key, crypto.SHA512, sum(crypto.SHA512))
	case "PS256":
		sig, err = rsa.SignPSS(rand.Reader, i.key, crypto.SHA256, sum(crypto.SHA256), nil)
	case "HS256":
		mac := hmac.New(sha256.New, i.publicPEM())
		mac.Write(input)
		return mac.Sum(nil)
	case "ES256":
		sig, err = es256(input)
	default:
		return []byte("junk-signature")
	}
	if err != nil {
		panic(fmt.Sprintf("authtest: sign %s: %v", alg, err))
	}
	return sig
}

// es256 signs with a fresh P-256 key in the JWS r||s form.
func es256(input []byte) ([]byte, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	d := sha256.Sum256(input)
	r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out, nil
}

func (i *Issuer) publicPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(&i.key.PublicKey)
	if err != nil {
		panic(fmt.Sprintf("authtest: marshal public key: %v", err))
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func (i *Issuer) claims(claims map[string]any) map[string]any {
	return merge(map[string]any{
		"jwks_host": i.Host(),
		"exp":       time.Now().Add(time.Hour).Unix(),
	}, claims)
}

// merge lays over on top of base; a nil value in over removes the field.
func merge(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("authtest: marshal: %v", err))
	}
	return b
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// SharedToken is an HS256 token signed with secret, the way Cisco XDR
// signs for a module type that holds a configuration-token-key. Its claims
// get an exp an hour from now unless claims has one, and no jwks_host; a
// nil value in claims leaves that claim out.
func SharedToken(secret []byte, claims map[string]any) string {
	h := map[string]any{"alg": "HS256", "typ": "JWT"}
	input := b64(mustJSON(h)) + "." + b64(mustJSON(merge(map[string]any{"exp": time.Now().Add(time.Hour).Unix()}, claims)))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + b64(mac.Sum(nil))
}

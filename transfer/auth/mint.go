package auth

import (
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are what a minted token says.
type Claims struct {
	// Subject is the user id.
	Subject string
	// TTL is how long the token stays valid.
	TTL time.Duration
	// Issuer and Audience are optional.
	Issuer   string
	Audience string
}

// Mint signs a token for c with key: a []byte HS256 secret, an
// ed25519.PrivateKey (EdDSA) or an *rsa.PrivateKey (RS256).
func Mint(key any, c Claims) (string, error) {
	if c.Subject == "" {
		return "", errors.New("a token needs a subject")
	}
	if c.TTL <= 0 {
		return "", fmt.Errorf("token lifetime %v is not positive", c.TTL)
	}
	var method jwt.SigningMethod
	switch key.(type) {
	case []byte:
		method = jwt.SigningMethodHS256
	case ed25519.PrivateKey:
		method = jwt.SigningMethodEdDSA
	case *rsa.PrivateKey:
		method = jwt.SigningMethodRS256
	default:
		return "", fmt.Errorf("unsupported signing key type %T", key)
	}
	now := time.Now()
	rc := jwt.RegisteredClaims{
		Subject:   c.Subject,
		Issuer:    c.Issuer,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(c.TTL)),
	}
	if c.Audience != "" {
		rc.Audience = jwt.ClaimStrings{c.Audience}
	}
	s, err := jwt.NewWithClaims(method, rc).SignedString(key)
	if err != nil {
		return "", fmt.Errorf("signing token: %w", err)
	}
	return s, nil
}

// VerifierFor returns a Verifier that accepts what Mint signs with key; tests
// and embedded servers use it to pair the two.
func VerifierFor(key any, opts VerifyOptions) (*Verifier, error) {
	return NewVerifier(publicOf(key), opts)
}

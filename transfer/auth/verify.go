// Package auth verifies and mints the JSON Web Tokens that authenticate hoist
// uploads, and loads the keys for both.
//
// A server is configured with exactly one key type, and the accepted signing
// algorithm is pinned to it: an HS256 shared secret, an Ed25519 public key
// (EdDSA) or an RSA public key (RS256). Every token must carry an expiry and
// a subject; the subject is the user the upload belongs to.
package auth

import (
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenLength is the longest token a Verifier looks at. Longer tokens are
// refused before any parsing, so a huge token costs no decoding work.
const MaxTokenLength = 8 << 10

// DefaultLeeway is the clock skew tolerated on exp, nbf and iat.
const DefaultLeeway = 30 * time.Second

// ErrInvalidToken wraps every reason a token is refused.
var ErrInvalidToken = errors.New("invalid token")

// VerifyOptions are the claim checks besides signature and expiry.
type VerifyOptions struct {
	// Issuer, when set, must equal the token's iss claim.
	Issuer string
	// Audience, when set, must be among the token's aud claim.
	Audience string
	// Leeway is the tolerated clock skew; zero means DefaultLeeway.
	Leeway time.Duration
}

// Verifier checks tokens against one key with one pinned algorithm. It is
// safe for concurrent use.
type Verifier struct {
	alg    string
	key    any
	parser *jwt.Parser
}

// NewVerifier returns a Verifier for key, which is a []byte HS256 secret, an
// ed25519.PublicKey (EdDSA) or an *rsa.PublicKey (RS256).
func NewVerifier(key any, opts VerifyOptions) (*Verifier, error) {
	var alg string
	switch k := key.(type) {
	case []byte:
		if len(k) < MinSecretLength {
			return nil, fmt.Errorf("HS256 secret is %d bytes, want at least %d", len(k), MinSecretLength)
		}
		alg = jwt.SigningMethodHS256.Alg()
	case ed25519.PublicKey:
		alg = jwt.SigningMethodEdDSA.Alg()
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA key has %d bits, want at least 2048", k.N.BitLen())
		}
		alg = jwt.SigningMethodRS256.Alg()
	default:
		return nil, fmt.Errorf("unsupported verification key type %T", key)
	}
	leeway := opts.Leeway
	if leeway == 0 {
		leeway = DefaultLeeway
	}
	popts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{alg}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway),
		jwt.WithIssuedAt(),
	}
	if opts.Issuer != "" {
		popts = append(popts, jwt.WithIssuer(opts.Issuer))
	}
	if opts.Audience != "" {
		popts = append(popts, jwt.WithAudience(opts.Audience))
	}
	return &Verifier{alg: alg, key: key, parser: jwt.NewParser(popts...)}, nil
}

// Algorithm is the one signing algorithm the Verifier accepts.
func (v *Verifier) Algorithm() string { return v.alg }

// Verify checks token and returns its subject. Every failure wraps
// ErrInvalidToken and says why, without echoing the token.
func (v *Verifier) Verify(token string) (subject string, err error) {
	if token == "" {
		return "", fmt.Errorf("%w: no token", ErrInvalidToken)
	}
	if len(token) > MaxTokenLength {
		return "", fmt.Errorf("%w: token is %d bytes, limit %d", ErrInvalidToken, len(token), MaxTokenLength)
	}
	var claims jwt.RegisteredClaims
	_, err = v.parser.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return v.key, nil })
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if claims.Subject == "" {
		return "", fmt.Errorf("%w: no sub claim", ErrInvalidToken)
	}
	return claims.Subject, nil
}

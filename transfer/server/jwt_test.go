package server_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/auth"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// sign makes a token with any method and key, for attacks.
func sign(t *testing.T, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix(), "iss": "hoist-test", "aud": "uploads"}
}

func pemPublic(t *testing.T, pub any) []byte {
	b, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: b})
}

// TestJWTAttacks: every forged, expired or mis-addressed token is refused
// with unauthorized and nothing is created, for each key type.
func TestJWTAttacks(t *testing.T) {
	t.Parallel()
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, otherEdPriv, _ := ed25519.GenerateKey(rand.Reader)
	secret := []byte(strings.Repeat("s", 40))
	keys := []struct {
		name   string
		verify any
		method jwt.SigningMethod
		sign   any
		pubPEM []byte
	}{
		{"HS256", secret, jwt.SigningMethodHS256, secret, nil},
		{"EdDSA", edPub, jwt.SigningMethodEdDSA, edPriv, pemPublic(t, edPub)},
		{"RS256", &rsaPriv.PublicKey, jwt.SigningMethodRS256, rsaPriv, pemPublic(t, &rsaPriv.PublicKey)},
	}
	for _, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			v, err := auth.NewVerifier(k.verify, auth.VerifyOptions{Issuer: "hoist-test", Audience: "uploads", Leeway: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.Verifier = v }))
			before := snapshot(t, srv.Root())

			attacks := map[string]string{
				"alg none": func() string {
					s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, validClaims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
					return s
				}(),
				"expired":       sign(t, k.method, k.sign, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(-time.Hour).Unix(), "iss": "hoist-test", "aud": "uploads"}),
				"no exp":        sign(t, k.method, k.sign, jwt.MapClaims{"sub": "alice", "iss": "hoist-test", "aud": "uploads"}),
				"no sub":        sign(t, k.method, k.sign, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "iss": "hoist-test", "aud": "uploads"}),
				"unsafe sub":    sign(t, k.method, k.sign, jwt.MapClaims{"sub": "../root", "exp": time.Now().Add(time.Hour).Unix(), "iss": "hoist-test", "aud": "uploads"}),
				"wrong iss":     sign(t, k.method, k.sign, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix(), "iss": "evil", "aud": "uploads"}),
				"wrong aud":     sign(t, k.method, k.sign, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix(), "iss": "hoist-test", "aud": "other"}),
				"not yet valid": sign(t, k.method, k.sign, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(2 * time.Hour).Unix(), "nbf": time.Now().Add(time.Hour).Unix(), "iss": "hoist-test", "aud": "uploads"}),
				"garbage":       "not.a.jwt",
				"empty":         "",
				"1 MB token":    strings.Repeat("A", 1<<20),
			}
			// A bad signature: the right token with its signature changed.
			good := sign(t, k.method, k.sign, validClaims())
			attacks["bad signature"] = good[:strings.LastIndexByte(good, '.')+1] + "AAAA" + good[strings.LastIndexByte(good, '.')+5:]
			// Signed by another key of the right type.
			switch k.name {
			case "HS256":
				attacks["other key"] = sign(t, k.method, []byte(strings.Repeat("o", 40)), validClaims())
				attacks["EdDSA instead"] = sign(t, jwt.SigningMethodEdDSA, otherEdPriv, validClaims())
			case "EdDSA":
				attacks["other key"] = sign(t, jwt.SigningMethodEdDSA, otherEdPriv, validClaims())
			case "RS256":
				other, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					t.Fatal(err)
				}
				attacks["other key"] = sign(t, jwt.SigningMethodRS256, other, validClaims())
				attacks["EdDSA instead"] = sign(t, jwt.SigningMethodEdDSA, otherEdPriv, validClaims())
			}
			if k.pubPEM != nil {
				// The classic confusion: HS256 keyed with the server's public key.
				attacks["HS256 with the public key"] = sign(t, jwt.SigningMethodHS256, k.pubPEM, validClaims())
			}
			c := dial(t, srv)
			for name, tok := range attacks {
				a := authMsg(tok, uuid.New(), []file{{name: "a", data: []byte("x")}}, nil, 0)
				r := c.authenticate(a)
				if r.OK() || r.Code != wire.CodeUnauthorized {
					t.Errorf("%s: got %+v, want unauthorized", name, r)
				}
				if strings.Contains(r.Reason, tok) && tok != "" {
					t.Errorf("%s: the reason echoes the token", name)
				}
			}
			assertUnchanged(t, srv.Root(), before)
			// The genuine token works.
			c.mustAuth(authMsg(good, uuid.New(), []file{{name: "a", data: []byte("x")}}, nil, 0))
		})
	}
}

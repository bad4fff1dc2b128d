package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMintVerifyEachKeyType: tokens minted from key files verify against
// the matching public key files, with issuer and audience.
func TestMintVerifyEachKeyType(t *testing.T) {
	dir := t.TempDir()
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edDER, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	edPubDER, _ := x509.MarshalPKIXPublicKey(edPriv.Public())
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaPriv)
	rsaPubDER, _ := x509.MarshalPKIXPublicKey(&rsaPriv.PublicKey)
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(strings.Repeat("k", 40)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		sign      string
		keyConfig KeyConfig
		alg       string
	}{
		{"HS256", secretFile, KeyConfig{SecretFile: secretFile}, "HS256"},
		{"EdDSA", writePEM(t, dir, "ed.pem", "PRIVATE KEY", edDER), KeyConfig{PublicKeyFile: writePEM(t, dir, "ed.pub", "PUBLIC KEY", edPubDER)}, "EdDSA"},
		{"RS256", writePEM(t, dir, "rsa.pem", "PRIVATE KEY", rsaDER), KeyConfig{PublicKeyFile: writePEM(t, dir, "rsa.pub", "PUBLIC KEY", rsaPubDER)}, "RS256"},
	}
	opts := VerifyOptions{Issuer: "iss", Audience: "aud"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key, err := ReadSigningKey(c.sign)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := Mint(key, Claims{Subject: "alice", TTL: time.Hour, Issuer: "iss", Audience: "aud"})
			if err != nil {
				t.Fatal(err)
			}
			v, err := LoadVerifier(c.keyConfig, opts)
			if err != nil {
				t.Fatal(err)
			}
			if v.Algorithm() != c.alg {
				t.Fatalf("algorithm %s, want %s", v.Algorithm(), c.alg)
			}
			if sub, err := v.Verify(tok); err != nil || sub != "alice" {
				t.Fatalf("Verify: %q %v", sub, err)
			}
			noAud, _ := Mint(key, Claims{Subject: "alice", TTL: time.Hour, Issuer: "iss"})
			if _, err := v.Verify(noAud); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("token without the audience: %v", err)
			}
		})
	}
}

// TestGeneratedSecret: created once with mode 0600, then reused; a
// readable secret is refused.
func TestGeneratedSecret(t *testing.T) {
	dir := t.TempDir()
	v1, err := LoadVerifier(KeyConfig{DataDir: dir}, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, DefaultSecretFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	secret, err := LoadOrCreateSecret(filepath.Join(dir, DefaultSecretFile))
	if err != nil || len(secret) != 64 {
		t.Fatalf("reloaded secret: %d bytes, %v", len(secret), err)
	}
	tok, _ := Mint(secret, Claims{Subject: "bob", TTL: time.Minute})
	if sub, err := v1.Verify(tok); err != nil || sub != "bob" {
		t.Fatalf("Verify with the generated secret: %q %v", sub, err)
	}
	os.Chmod(filepath.Join(dir, DefaultSecretFile), 0o644)
	if _, err := LoadVerifier(KeyConfig{DataDir: dir}, VerifyOptions{}); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable secret: %v", err)
	}
}

func TestKeyErrors(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("tooshort"), 0o600)
	if _, err := ReadSecret(short); err == nil {
		t.Fatal("short secret accepted")
	}
	if _, err := LoadVerifier(KeyConfig{SecretFile: short, PublicKeyFile: short}, VerifyOptions{}); err == nil {
		t.Fatal("two keys accepted")
	}
	if _, err := ReadPublicKey(short); err == nil {
		t.Fatal("garbage public key accepted")
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	if _, err := NewVerifier(&small.PublicKey, VerifyOptions{}); err == nil {
		t.Fatal("1024-bit RSA key accepted")
	}
	if _, err := Mint([]byte(strings.Repeat("k", 40)), Claims{TTL: time.Hour}); err == nil {
		t.Fatal("token without subject minted")
	}
	v, _ := NewVerifier([]byte(strings.Repeat("k", 40)), VerifyOptions{})
	if _, err := v.Verify(strings.Repeat("a", MaxTokenLength+1)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("over-long token: %v", err)
	}
}

// FuzzVerify: no input panics, and whatever verifies names the only
// subject ever signed.
func FuzzVerify(f *testing.F) {
	secret := []byte(strings.Repeat("f", 40))
	v, err := NewVerifier(secret, VerifyOptions{})
	if err != nil {
		f.Fatal(err)
	}
	tok, _ := Mint(secret, Claims{Subject: "alice", TTL: 100 * 365 * 24 * time.Hour})
	f.Add(tok)
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJldmUifQ.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		sub, err := v.Verify(s)
		if err == nil && sub != "alice" {
			t.Fatalf("forged token for %q accepted", sub)
		}
	})
}

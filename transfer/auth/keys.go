package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/golang-jwt/jwt/v5"
)

// MinSecretLength is the shortest HS256 secret accepted, in bytes.
const MinSecretLength = 32

// DefaultSecretFile is the name of the HS256 secret a server creates in its
// data directory when no key is configured.
const DefaultSecretFile = "jwt-secret"

// KeyConfig says where a server's verification key comes from. At most one
// of SecretFile and PublicKeyFile may be set; with neither, the HS256 secret
// DefaultSecretFile in DataDir is used, created on first use.
type KeyConfig struct {
	SecretFile    string
	PublicKeyFile string
	DataDir       string
}

// LoadVerifier builds the Verifier a server runs with.
func LoadVerifier(kc KeyConfig, opts VerifyOptions) (*Verifier, error) {
	key, err := loadVerificationKey(kc)
	if err != nil {
		return nil, err
	}
	return NewVerifier(key, opts)
}

func loadVerificationKey(kc KeyConfig) (any, error) {
	switch {
	case kc.SecretFile != "" && kc.PublicKeyFile != "":
		return nil, errors.New("configure either a JWT secret file or a JWT public key, not both")
	case kc.PublicKeyFile != "":
		return ReadPublicKey(kc.PublicKeyFile)
	case kc.SecretFile != "":
		return ReadSecret(kc.SecretFile)
	case kc.DataDir == "":
		return nil, errors.New("no JWT key configured and no data directory to keep a generated secret in")
	}
	return LoadOrCreateSecret(filepath.Join(kc.DataDir, DefaultSecretFile))
}

// ReadSecret reads an HS256 secret: the file's content without surrounding
// whitespace. It refuses secrets shorter than MinSecretLength and files that
// other users can read.
func ReadSecret(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("JWT secret: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("JWT secret %s has mode %v: other users could read it; run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("JWT secret: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) < MinSecretLength {
		return nil, fmt.Errorf("JWT secret %s holds %d bytes, want at least %d", path, len(b), MinSecretLength)
	}
	return b, nil
}

// LoadOrCreateSecret reads the HS256 secret at path, creating it (mode 0600,
// 64 random hex digits) if it does not exist yet.
func LoadOrCreateSecret(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("JWT secret: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return ReadSecret(path)
	}
	if err != nil {
		return nil, fmt.Errorf("JWT secret: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		f.Close()
		return nil, err
	}
	secret := []byte(hex.EncodeToString(raw))
	_, err = f.Write(append(secret, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("JWT secret: writing %s: %w", path, err)
	}
	return secret, nil
}

// ReadPublicKey reads a PEM Ed25519 or RSA public key.
func ReadPublicKey(path string) (any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("JWT public key: %w", err)
	}
	if k, err := jwt.ParseEdPublicKeyFromPEM(b); err == nil {
		return k, nil
	}
	if k, err := jwt.ParseRSAPublicKeyFromPEM(b); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("JWT public key %s: not a PEM Ed25519 or RSA public key", path)
}

// ReadSigningKey reads the key `hoist token --signing-key` signs with: a PEM
// Ed25519 or RSA private key, or else an HS256 secret file as ReadSecret
// reads it.
func ReadSigningKey(path string) (any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if blk, _ := pem.Decode(b); blk != nil {
		if k, err := jwt.ParseEdPrivateKeyFromPEM(b); err == nil {
			return k, nil
		}
		if k, err := jwt.ParseRSAPrivateKeyFromPEM(b); err == nil {
			return k, nil
		}
		return nil, fmt.Errorf("signing key %s: PEM block %q is not an Ed25519 or RSA private key", path, blk.Type)
	}
	return ReadSecret(path)
}

// publicOf returns the verification key matching a signing key.
func publicOf(key any) any {
	switch k := key.(type) {
	case ed25519.PrivateKey:
		return k.Public()
	case *rsa.PrivateKey:
		return &k.PublicKey
	}
	return key
}

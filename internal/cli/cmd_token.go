package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/transfer/auth"
	"github.com/hoist-dev/hoist/transfer/store"
)

const tokenHelp = `Prints an access token (a JWT) for USER, signed with the server's key: the
HS256 secret the server checks tokens with, or the key given with
--signing-key (a PEM Ed25519 or RSA private key, or an HS256 secret file).
The token is the only thing written to stdout, so it can be captured into a
file.

The server's key is found as 'hoist serve' finds it, from the same config
file, HOIST_* variables and flags: [serve.jwt] secret_file (--jwt-secret-file)
if set, else the secret the server generated in its data directory,
DIR/jwt-secret, where DIR is [serve] root (--root, HOIST_ROOT). A DIR that
holds no hoist data yet is refused, so that a mistyped --root cannot mint
tokens no server accepts; --init makes it a data directory with a new
secret, for a server yet to start there.`

const tokenExamples = `  hoist token --sub alice --ttl 24h > alice.jwt
  hoist token --root /srv/hoist --sub bob --ttl 720h --iss hoist.example --aud uploads
  hoist token --root /srv/new --init --sub carol
  hoist token --sub dave --signing-key ed25519.pem`

// newTokenCommand builds `hoist token`, which mints a token.
func newTokenCommand(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "token --sub USER",
		Short:   "Mint an access token signed with the server's key",
		Long:    tokenHelp,
		Example: tokenExamples,
		Args:    noArgs,
	}
	flags := cmd.Flags()
	config.RegisterRootFlags(flags)
	flags.MarkHidden("meta") // tokens need no metadata
	sub := flags.String("sub", "", "`user` id the token is for (required)")
	ttl := flags.Duration("ttl", 24*time.Hour, "how long the token stays valid")
	keyFile := flags.String("signing-key", "", "sign with this `file` instead of the server's secret")
	iss := flags.String("iss", "", "issuer claim (the server may require it: --jwt-issuer)")
	aud := flags.String("aud", "", "audience claim (the server may require it: --jwt-audience)")
	initRoot := flags.Bool("init", false, "make the data directory (--root) a hoist data directory with a new secret if it is not one yet")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if *sub == "" {
			return usagef(cmd, "--sub USER is required")
		}
		key := *keyFile
		var signing any
		if key != "" {
			var err error
			if signing, err = auth.ReadSigningKey(config.ExpandHome(key, env.Getenv)); err != nil {
				return err
			}
		} else {
			cfg, src, err := config.LoadServer(flags, env.Getenv)
			if err != nil {
				return err
			}
			if signing, err = serverSigningKey(cfg, src, *initRoot); err != nil {
				return err
			}
		}
		tok, err := auth.Mint(signing, auth.Claims{Subject: *sub, TTL: *ttl, Issuer: *iss, Audience: *aud})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(env.Stdout, tok)
		return err
	}
	return cmd
}

// serverSigningKey returns the key the server that cfg configures checks
// tokens with, if it can sign: its HS256 secret file, or the secret it
// generates in its data directory. That directory must already be a hoist
// data directory unless initRoot is set, which creates it and its secret.
func serverSigningKey(cfg config.Server, src config.Sources, initRoot bool) (any, error) {
	switch {
	case cfg.JWT.SecretFile != "":
		return auth.ReadSecret(cfg.JWT.SecretFile)
	case cfg.JWT.PublicKeyFile != "":
		return nil, fmt.Errorf("the server checks tokens with the public key %s (%s): sign with its private key, --signing-key FILE",
			cfg.JWT.PublicKeyFile, src.Of("serve.jwt.public_key_file"))
	}
	isRoot, err := isDataDir(cfg.Root)
	if err != nil {
		return nil, err
	}
	if !isRoot && !initRoot {
		return nil, fmt.Errorf("%s (data directory from %s) is not a hoist data directory: it holds no %s or %s; "+
			"name the server's with --root, or add --init to make this one", cfg.Root, src.Of("serve.root"), store.DBFile, auth.DefaultSecretFile)
	}
	if err := os.MkdirAll(cfg.Root, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return auth.LoadOrCreateSecret(filepath.Join(cfg.Root, auth.DefaultSecretFile))
}

// isDataDir reports whether root holds a server's metadata or its
// generated secret.
func isDataDir(root string) (bool, error) {
	for _, name := range []string{store.DBFile, auth.DefaultSecretFile} {
		_, err := os.Stat(filepath.Join(root, name))
		switch {
		case err == nil:
			return true, nil
		case !errors.Is(err, fs.ErrNotExist):
			return false, fmt.Errorf("data directory: %w", err)
		}
	}
	return false, nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hoist-dev/hoist/transfer/auth"
)

const tokenHelp = `Usage: hoist token --sub USER [flags]

Prints an access token (a JWT) for USER, signed with the server's key: by
default the HS256 secret in the data directory (DIR/jwt-secret, created if
missing), or the key given with --signing-key (a PEM Ed25519 or RSA private
key, or an HS256 secret file). The token is the only thing written to
stdout, so it can be captured into a file.

Examples:
  hoist token --root /srv/hoist --sub alice --ttl 24h > alice.jwt
  hoist token --sub bob --ttl 720h --iss hoist.example --aud uploads
  hoist token --sub carol --signing-key ed25519.pem

Flags:
`

// runToken mints a token.
func runToken(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("hoist token", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, tokenHelp)
		fs.PrintDefaults()
	}
	root := fs.String("root", defaultDataDir(), "data `directory` of the server (for its generated secret)")
	sub := fs.String("sub", "", "user id the token is for (required)")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token stays valid")
	key := fs.String("signing-key", "", "sign with this `file` instead of DIR/jwt-secret")
	iss := fs.String("iss", "", "issuer claim (the server may require it: --jwt-issuer)")
	aud := fs.String("aud", "", "audience claim (the server may require it: --jwt-audience)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "hoist token: unexpected argument %q\n", fs.Arg(0))
		return exitError{2}
	}
	if *sub == "" {
		fmt.Fprintln(os.Stderr, "hoist token: --sub USER is required")
		fs.Usage()
		return exitError{2}
	}
	var signing any
	var err error
	if *key != "" {
		signing, err = auth.ReadSigningKey(*key)
	} else {
		signing, err = auth.LoadOrCreateSecret(filepath.Join(*root, auth.DefaultSecretFile))
	}
	if err != nil {
		return err
	}
	tok, err := auth.Mint(signing, auth.Claims{Subject: *sub, TTL: *ttl, Issuer: *iss, Audience: *aud})
	if err != nil {
		return err
	}
	_, err = fmt.Println(tok)
	return err
}

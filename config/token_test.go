package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewTokenSource(t *testing.T) {
	if _, err := NewTokenSource(Client{}); !errors.Is(err, ErrNoToken) {
		t.Errorf("no token configured: %v, want ErrNoToken", err)
	}
	for _, tc := range []struct {
		c    Client
		want TokenSource
	}{
		{Client{Token: "t", TokenFile: "f", TokenCommand: "c"}, StaticToken("t")},
		{Client{TokenFile: "f", TokenCommand: "c"}, TokenFile("f")},
		{Client{TokenCommand: "c"}, TokenCommand{Command: "c"}},
	} {
		got, err := NewTokenSource(tc.c)
		if err != nil || got != tc.want {
			t.Errorf("NewTokenSource(%+v) = %#v, %v; want %#v", tc.c, got, err, tc.want)
		}
	}
	tok, err := StaticToken("abc").Token(context.Background())
	if err != nil || tok != "abc" {
		t.Errorf("static token = %q, %v", tok, err)
	}
}

func TestTokenFileIsReadEveryTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	src := TokenFile(path)
	if _, err := src.Token(context.Background()); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("missing file: %v; want an error naming it", err)
	}
	for _, tok := range []string{"first", "second"} {
		if err := os.WriteFile(path, []byte("  "+tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := src.Token(context.Background())
		if err != nil || got != tok {
			t.Errorf("token = %q, %v; want %q", got, err, tok)
		}
	}
	if err := os.WriteFile(path, []byte("\n \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty file: %v", err)
	}
	if err := os.WriteFile(path, make([]byte, maxTokenSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "larger than 64 KiB") {
		t.Errorf("huge file: %v", err)
	}
}

func TestTokenCommand(t *testing.T) {
	ctx := context.Background()
	got, err := TokenCommand{Command: `printf '  tok-%s  \n' "$((40 + 2))"`}.Token(ctx)
	if err != nil || got != "tok-42" {
		t.Errorf("token = %q, %v; want tok-42", got, err)
	}

	// A command that exits early but leaves a child holding its output
	// open still yields what it printed.
	got, err = TokenCommand{Command: `echo bg-token; sleep 3 &`}.Token(ctx)
	if err != nil || got != "bg-token" {
		t.Errorf("with a background child: %q, %v", got, err)
	}

	if _, err := (TokenCommand{Command: "true"}).Token(ctx); err == nil || !strings.Contains(err.Error(), `token_command "true" printed no token`) {
		t.Errorf("no output: %v", err)
	}
	if _, err := (TokenCommand{Command: "head -c 70000 /dev/zero | tr '\\0' x"}).Token(ctx); err == nil || !strings.Contains(err.Error(), "printed more than 64 KiB") {
		t.Errorf("huge output: %v", err)
	}
}

// TestFailingTokenCommand checks that a failing helper's error names the
// command, its exit status and what it said on standard error, but not the
// token it may have printed.
func TestFailingTokenCommand(t *testing.T) {
	dir := t.TempDir()
	secret := "eyJhbGciOiJIUzI1NiJ9.partial-token"
	if err := os.WriteFile(filepath.Join(dir, "tok"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := "cat " + filepath.Join(dir, "tok") + "; echo 'vault is locked' >&2; echo 'run: vault unlock' >&2; exit 3"
	_, err := TokenCommand{Command: cmd}.Token(context.Background())
	if err == nil {
		t.Fatal("no error from a command that exits 3")
	}
	msg := err.Error()
	for _, want := range []string{"token_command " + `"` + cmd + `"`, "failed: exit status 3", "vault is locked; run: vault unlock"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, secret) || strings.Contains(msg, "partial-token") {
		t.Errorf("error reveals the token: %q", msg)
	}

	_, err = TokenCommand{Command: "hoist-no-such-helper-xyz"}.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "exit status 127") || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing helper: %v", err)
	}
}

func TestTokenCommandStops(t *testing.T) {
	_, err := TokenCommand{Command: "sleep 60", Timeout: 100 * time.Millisecond}.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), `token_command "sleep 60" did not finish within 100ms`) {
		t.Errorf("timeout: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = TokenCommand{Command: "sleep 60"}.Token(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v, want context.Canceled", err)
	}
}

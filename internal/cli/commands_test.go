package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/auth"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/store"
)

// writeFile writes data to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// finalStates decodes `hoist send --json` output and returns the last
// state of each session.
func finalStates(t *testing.T, out string) map[string]string {
	t.Helper()
	states := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var ev struct{ Type, FID, State string }
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		if ev.Type == "session" {
			states[ev.FID] = ev.State
		}
	}
	return states
}

// TestSendFlagsAfterPaths uploads with every flag after the path, as GNU
// tools allow, and a file whose name starts with "-" after "--".
func TestSendFlagsAfterPaths(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	s := newSandbox(t)
	tokenFile := writeFile(t, s.home, "alice.jwt", srv.Token("alice")+"\n")
	a := writeFile(t, s.home, "a.txt", "flags after the path")
	dash := writeFile(t, s.home, "-dash.txt", "after the double dash")

	out := s.mustRun("send", a, "--json", "--token-file", tokenFile, "--server", srv.URL(), "--tag", "late")
	states := finalStates(t, out)
	if len(states) != 1 {
		t.Fatalf("want one session in the JSON output, got %v:\n%s", states, out)
	}
	for fid, state := range states {
		if state != "done" {
			t.Errorf("upload %s ended %q, want done", fid, state)
		}
	}
	s.mustRun("send", "--json", "--token-file", tokenFile, "--server", srv.URL(), "--", dash)

	files := srv.Files("alice")
	if len(files) != 2 {
		t.Fatalf("server holds %d files for alice, want 2: %+v", len(files), files)
	}
	if files[0].Name != "a.txt" || string(srv.ReadFile(files[0])) != "flags after the path" || strings.Join(files[0].Tags, ",") != "late" {
		t.Errorf("first upload stored as %q with tags %v", files[0].Name, files[0].Tags)
	}
	if files[1].Name != "-dash.txt" || string(srv.ReadFile(files[1])) != "after the double dash" {
		t.Errorf("second upload stored as %q", files[1].Name)
	}
}

// startServe runs `hoist serve` in-process in the sandbox until the test
// ends, and returns its address.
func startServe(t *testing.T, s *sandbox, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	env := s.env(&stdout, &stderr)
	done := make(chan int, 1)
	go func() { done <- Run(ctx, env, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("hoist serve: exit %d\n%s", code, stderr.String())
			}
		case <-time.After(time.Minute):
			t.Errorf("hoist serve did not stop within a minute of being cancelled")
		}
	})
	return stderr.await(t, "hoist: listening on ", 30*time.Second)
}

// TestTokenAndServeShareTheConfiguredRoot puts the data directory in the
// config file only (with a "~"), and checks that a token from `hoist
// token` is accepted by `hoist serve`, and that `hoist ls` finds the upload.
func TestTokenAndServeShareTheConfiguredRoot(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.writeConfig("[serve]\nroot = \"~/srv\"\n")
	url := startServe(t, s)
	root := filepath.Join(s.home, "srv")
	if _, err := os.Stat(filepath.Join(root, auth.DefaultSecretFile)); err != nil {
		t.Fatalf("serve did not use the configured root: %v", err)
	}

	token := strings.TrimSpace(s.mustRun("token", "--sub", "alice"))
	writeFile(t, s.home, "alice.jwt", token)
	photo := writeFile(t, s.home, "photo.jpg", "configured once")
	s.mustRun("send", photo, "--server", url, "--token-file", "~/alice.jwt", "--json")

	var listed lsJSON
	if err := json.Unmarshal([]byte(s.mustRun("ls", "--json")), &listed); err != nil {
		t.Fatal(err)
	}
	if listed.User != "alice" || listed.Name != "photo.jpg" {
		t.Errorf("hoist ls --json listed %+v, want alice's photo.jpg", listed)
	}
	if data, err := os.ReadFile(filepath.Join(root, listed.Path)); err != nil || string(data) != "configured once" {
		t.Errorf("stored file: %q, %v", data, err)
	}

	// No other data directory was made on the side (the default one).
	if _, err := os.Stat(filepath.Join(s.vars["XDG_DATA_HOME"], "hoist")); !os.IsNotExist(err) {
		t.Errorf("a data directory appeared at the default place: %v", err)
	}
}

// TestTokenSecretFileFromConfig signs with [serve.jwt] secret_file, as the
// server verifies.
func TestTokenSecretFileFromConfig(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	writeFile(t, s.home, "secret", strings.Repeat("k", 40)+"\n")
	s.writeConfig("[serve]\nroot = \"~/srv\"\njwt.secret_file = \"~/secret\"\n")
	url := startServe(t, s)
	if _, err := os.Stat(filepath.Join(s.home, "srv", auth.DefaultSecretFile)); !os.IsNotExist(err) {
		t.Fatalf("serve generated a secret although one is configured: %v", err)
	}
	token := strings.TrimSpace(s.mustRun("token", "--sub", "bob"))
	writeFile(t, s.home, "bob.jwt", token)
	f := writeFile(t, s.home, "f.txt", "signed with the configured secret")
	s.mustRun("send", f, "--server", url, "--token-file", "~/bob.jwt", "--json")
}

// TestTokenRefusesWhatIsNotARoot checks that `hoist token` creates nothing
// in a directory that is not a hoist data directory, unless --init asks.
func TestTokenRefusesWhatIsNotARoot(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	missing := filepath.Join(s.home, "nonexistent")
	r := s.run("token", "--root", missing, "--sub", "alice")
	if r.code != 1 || !strings.Contains(r.stderr, "is not a hoist data directory") || !strings.Contains(r.stderr, "--init") || r.stdout != "" {
		t.Errorf("token --root %s: exit %d, stdout %q, stderr:\n%s", missing, r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("token --root %s created it: %v", missing, err)
	}

	empty := t.TempDir()
	if r := s.run("token", "--sub", "alice", "--root", empty); r.code != 1 {
		t.Errorf("token --root EMPTY-DIR: exit %d, want 1", r.code)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("token --root EMPTY-DIR wrote %v into it", entries)
	}

	// --init makes the root; a server started on it accepts the token.
	token := strings.TrimSpace(s.mustRun("token", "--root", missing, "--init", "--sub", "alice"))
	srv := servertest.Start(t, servertest.WithRoot(missing))
	v, err := auth.NewVerifier(srv.Secret(), auth.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sub, err := v.Verify(token); err != nil || sub != "alice" {
		t.Errorf("the server on the --init root refuses the token: %q, %v", sub, err)
	}
}

// TestLsNeedsARoot checks that ls refuses a directory with no hoist data.
func TestLsNeedsARoot(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	dir := t.TempDir()
	r := s.run("ls", "--root", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "no hoist data in "+dir) {
		t.Errorf("ls --root EMPTY: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, store.DBFile)); !os.IsNotExist(err) {
		t.Errorf("ls created %s: %v", store.DBFile, err)
	}
}

//go:build linux

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nobodyID is the uid and gid of "nobody", whom the binary runs as when
// the tests run as root: root reads any file whatever its mode.
const nobodyID = 65534

// unreadableSetup is a tree, outside t.TempDir (whose 0700 parents keep
// nobody out), holding a readable file, a file and a directory the sender
// cannot read (mode 0600 and 0700 owned by root, read by nobody; mode 000
// when not root), a dangling link and a link to a directory beside the
// tree; with a copy of the binary, token files and a state directory the
// sender can use.
type unreadableSetup struct {
	base, bin, tree, state string
	asNobody               bool
}

func newUnreadableSetup(t *testing.T) *unreadableSetup {
	t.Helper()
	base, err := os.MkdirTemp("", "hoist-e2e-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	s := &unreadableSetup{base: base, tree: filepath.Join(base, "tree"), state: filepath.Join(base, "state"),
		bin: filepath.Join(base, "hoist"), asNobody: os.Geteuid() == 0}
	t.Cleanup(func() {
		// The locked directory must be opened again to be removed.
		os.Chmod(filepath.Join(s.tree, "locked"), 0o755)
		os.RemoveAll(base)
	})
	locked := os.FileMode(0o700)
	secret := os.FileMode(0o600)
	if !s.asNobody {
		locked, secret = 0, 0
	}
	for _, d := range []string{s.tree, filepath.Join(s.tree, "locked"), filepath.Join(base, "outside"), s.state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range map[string]string{"tree/good.txt": "good", "tree/secret.txt": "secret",
		"tree/locked/x.txt": "x", "outside/o.txt": "outside"} {
		if err := os.WriteFile(filepath.Join(base, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Chmod(base, 0o755))
	must(os.Symlink("gone", filepath.Join(s.tree, "dangling")))
	must(os.Symlink("../outside", filepath.Join(s.tree, "linked")))
	must(os.Chmod(filepath.Join(s.tree, "secret.txt"), secret))
	must(os.Chmod(filepath.Join(s.tree, "locked"), locked))
	if s.asNobody {
		must(os.Chown(s.state, nobodyID, nobodyID))
	}
	b, err := os.ReadFile(hoistBinary())
	must(err)
	must(os.WriteFile(s.bin, b, 0o755))
	return s
}

// token writes a token for user, readable by the sender.
func (s *unreadableSetup) token(t *testing.T, root, user string) string {
	t.Helper()
	path := filepath.Join(s.base, user+".jwt")
	if err := os.WriteFile(path, []byte(mintToken(t, root, user)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// send runs `hoist send` as the sender (nobody, under root) and returns
// its output and exit code.
func (s *unreadableSetup) send(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, append([]string{"send"}, args...)...)
	cmd.Env = []string{"HOME=" + s.state, "XDG_STATE_HOME=" + s.state, "XDG_CONFIG_HOME=" + s.state, "PATH=/usr/bin:/bin"}
	if s.asNobody {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobodyID, Gid: nobodyID}}
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("hoist send: %v", err)
	}
	return out.String(), errOut.String(), code
}

// TestSendSkipsUnreadableFilesAndDirectories: a user who cannot read a
// file and a directory of the tree sends the rest, with a dangling link
// skipped too and a linked directory's file under the link's name; the
// skipped paths are listed with their reasons and the exit status is 0.
// With --strict the rest is sent too and the exit status is 1; with
// --no-follow-links the linked directory is skipped and reported.
func TestSendSkipsUnreadableFilesAndDirectories(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	srv := startServer(t, root)
	s := newUnreadableSetup(t)

	out, errOut, code := s.send(t, s.tree, "--server", srv.URL, "--token-file", s.token(t, root, "alice"))
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"verified tree/good.txt", "verified tree/linked/o.txt",
		"skipped 3:\n",
		"  " + filepath.Join(s.tree, "dangling") + ": dangling symbolic link: gone does not exist\n",
		"  " + filepath.Join(s.tree, "locked") + ": cannot read the directory: permission denied\n",
		"  " + filepath.Join(s.tree, "secret.txt") + ": cannot read the file: permission denied\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "verified tree/secret.txt") || strings.Contains(out, "x.txt") {
		t.Errorf("an unreadable path was sent:\n%s", out)
	}
	if got := storedFile(t, root, "alice", "tree/linked/o.txt"); string(got) != "outside" {
		t.Fatalf("tree/linked/o.txt holds %q", got)
	}

	out, errOut, code = s.send(t, s.tree, "--strict", "--server", srv.URL, "--token-file", s.token(t, root, "bob"))
	if code != 1 || !strings.Contains(errOut, "3 path(s) skipped") || !strings.Contains(out, "verified tree/linked/o.txt") {
		t.Fatalf("--strict: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	storedFile(t, root, "bob", "tree/good.txt")

	out, errOut, code = s.send(t, s.tree, "--no-follow-links", "--server", srv.URL, "--token-file", s.token(t, root, "carol"))
	if code != 0 || !strings.Contains(out, "skipped 4:") ||
		!strings.Contains(out, filepath.Join(s.tree, "linked")+": symlinked directory not followed: use --follow-links") ||
		strings.Contains(out, "o.txt") {
		t.Fatalf("--no-follow-links: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// Named on the command line, an unreadable file is an error.
	_, errOut, code = s.send(t, filepath.Join(s.tree, "secret.txt"), "--server", srv.URL, "--token-file", s.token(t, root, "dave"))
	if code == 0 || !strings.Contains(errOut, "permission denied") {
		t.Fatalf("named unreadable file: exit %d\n%s", code, errOut)
	}
}

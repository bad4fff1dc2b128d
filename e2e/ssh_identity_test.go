package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// TestSendOverSSHWithoutATokenAsTheKeysUser runs the setup: a real
// sshd whose authorized_keys forces `hoist serve --stdio --user alice` for
// the client's key. hoist send with no token configured completes, the
// file is alice's, and hoist ls --server (no token either) shows it.
func TestSendOverSSHWithoutATokenAsTheKeysUser(t *testing.T) {
	root := t.TempDir()
	t.Parallel()
	hoist.InitRoot(t, root)
	bin := hoistBinary()
	sshd := testkit.StartSSHD(t)
	pub, err := os.ReadFile(sshd.Key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf("command=\"%s serve --stdio --user alice --root %s\",restrict %s", bin, root, pub)
	if err := os.WriteFile(filepath.Join(filepath.Dir(sshd.Key), "authorized_keys"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "docs")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	randomFile(t, filepath.Join(dir, "sub"), "plan.bin", 200<<10, 11)
	env := []string{"XDG_STATE_HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir()}
	server := fmt.Sprintf("ssh://%s@127.0.0.1:%d", sshd.User, sshd.Port)
	// The remote command asked for is not what runs: the forced one does.
	conn := []string{"--server", server, "--ssh-command", sshd.ClientCommand(), "--remote-command", "false"}

	out, errOut, err := tryHoist(t, env, append([]string{"send", dir, "--tag", "viassh"}, conn...)...)
	if err != nil {
		t.Fatalf("hoist send over ssh without a token: %v\nstdout:\n%s\nstderr:\n%s\nsshd:\n%s", err, out, errOut, sshd.Log())
	}
	if !strings.Contains(out, "verified docs/sub/plan.bin") {
		t.Fatalf("send output:\n%s", out)
	}
	ls, errOut, err := tryHoist(t, env, append([]string{"ls"}, conn...)...)
	if err != nil || !strings.Contains(ls, "docs/sub/plan.bin") || !strings.Contains(ls, "viassh") {
		t.Fatalf("hoist ls --server over ssh: %v\n%s\n%s", err, ls, errOut)
	}
	if _, err := os.Stat(filepath.Join(root, "users", "alice", "docs", "sub", "plan.bin")); err != nil {
		t.Fatalf("the file is not alice's on the server: %v", err)
	}
}

package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/internal/testkit"
	"github.com/hoist-dev/hoist/transfer/auth"
	"github.com/hoist-dev/hoist/transfer/client"
	"github.com/hoist-dev/hoist/transfer/server"
)

// TestVersion builds the binary as a release does, with version, commit and
// date set through -ldflags, and asks it for its version.
func TestVersion(t *testing.T) {
	t.Parallel()
	// With -race when the tests run with it, as TestMain builds: only the
	// link step is new.
	release, remove, err := testkit.Build(testkit.RaceEnabled, "-ldflags", "-X main.version=1.2.3 -X main.commit=abc -X main.date=2026-01-01")
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	bin := release.Path
	want := "hoist 1.2.3 (commit abc, built 2026-01-01)\n"
	for _, arg := range []string{"--version", "version"} {
		out, errOut, code := hoistRun(t, bin, nil, arg)
		if code != 0 || out != want {
			t.Errorf("hoist %s: exit %d, stdout %q, stderr %q; want %q", arg, code, out, errOut, want)
		}
	}
}

// hoistRun runs the binary bin with args in an environment holding only env
// and PATH, so that the machine's HOIST_* variables and config file stay
// out of the test, and returns its stdout, stderr and exit code.
func hoistRun(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running hoist %q: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// TestConfigCommand drives `hoist config` as a user would: write the
// example, change a setting in it, and look at the effective settings with
// a variable and a flag on top.
func TestConfigCommand(t *testing.T) {
	t.Parallel()
	bin := hoistBinary()
	home := t.TempDir()
	env := []string{"HOME=" + home}
	path := filepath.Join(home, ".config", "hoist", "config.toml")

	out, errOut, code := hoistRun(t, bin, env, "config")
	if code != 0 || !strings.Contains(out, "# config file: "+path+" (not found") || !strings.Contains(out, `chunk_size = "1MiB"`) {
		t.Fatalf("hoist config without a file: exit %d\n%s%s", code, out, errOut)
	}

	out, errOut, code = hoistRun(t, bin, env, "config", "init")
	if code != 0 || out != "wrote "+path+"\n" {
		t.Fatalf("hoist config init: exit %d, %q %q", code, out, errOut)
	}
	_, errOut, code = hoistRun(t, bin, env, "config", "init")
	if code != 1 || !strings.Contains(errOut, path+" already exists; add --force to overwrite it") {
		t.Errorf("second hoist config init: exit %d, stderr %q", code, errOut)
	}

	example, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(example), `#chunk_size = "1MiB"`, `chunk_size = "2MiB"`, 1)
	line := 1 + strings.Count(edited[:strings.Index(edited, `chunk_size = "2MiB"`)], "\n")
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	const secret = "eyJhbGciOiJIUzI1NiJ9.e2e-s3cret"
	env = append(env, "HOIST_SERVER=tls://env.example:7800", "HOIST_TOKEN="+secret)
	out, errOut, code = hoistRun(t, bin, env, "config", "--tag", "a", "--tag", "b,c", "--quota", "5GB")
	if code != 0 {
		t.Fatalf("hoist config: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{
		"# config file: " + path + "\n",
		`chunk_size = "2MiB"`, "# " + path + ":" + strconv.Itoa(line) + "\n",
		`server = "tls://env.example:7800"`, "# env HOIST_SERVER\n",
		`token = "[redacted]"`, "# env HOIST_TOKEN\n",
		`tags = ["a", "b", "c"]`, "# flag --tag\n",
		`serve.limits.quota = "5GB"`, "# flag --quota\n",
		`retry.cap = "30s"`, "# default\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("hoist config output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, "s3cret") {
		t.Errorf("hoist config shows the token:\n%s%s", out, errOut)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	bin := hoistBinary()
	home := t.TempDir()
	path := filepath.Join(home, "bad.toml")
	if err := os.WriteFile(path, []byte("server = \"a:1\"\n\n[serve.limits]\nmax_fille = 10\nquota = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := hoistRun(t, bin, []string{"HOME=" + home}, "config", "--config", path)
	want := "hoist: " + path + `:4: unknown key "serve.limits.max_fille" (did you mean "serve.limits.max_files"?)` + "\n" +
		path + `:5: serve.limits.quota = true: want a size: a whole number of bytes, optionally with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), like "64MiB"` + "\n"
	if code != 1 || errOut != want {
		t.Errorf("bad config file: exit %d, stderr:\n%s\nwant:\n%s", code, errOut, want)
	}

	_, errOut, code = hoistRun(t, bin, []string{"HOME=" + home}, "config", "--config", filepath.Join(home, "missing.toml"))
	if code != 1 || !strings.Contains(errOut, "missing.toml: no such file or directory") {
		t.Errorf("missing --config file: exit %d, stderr %q", code, errOut)
	}

	_, errOut, code = hoistRun(t, bin, []string{"HOME=" + home}, "config", "--chunk-size", "big")
	if code != 2 || !strings.Contains(errOut, `"big"`) || !strings.Contains(errOut, "-chunk-size") || !strings.Contains(errOut, "want a size") {
		t.Errorf("bad flag: exit %d, stderr %q", code, errOut)
	}

	out, errOut, code := hoistRun(t, bin, []string{"HOME=" + home}, "config", "--help")
	if help := out + errOut; code != 0 || !strings.Contains(help, "serve.limits.partial_expiry  HOIST_PARTIAL_EXPIRY  --partial-expiry") {
		t.Errorf("hoist config --help: exit %d, output:\n%s", code, help)
	}
}

// TestConfigDefaultsMatchTheEngineAndServer keeps the defaults that
// `hoist config` shows equal to those the engine and server fall back on.
func TestConfigDefaultsMatchTheEngineAndServer(t *testing.T) {
	t.Parallel()
	c := config.DefaultClient()
	if c.ChunkSize != client.DefaultChunkSize || c.Window.Chunks != client.DefaultWindowChunks || c.Window.Bytes != client.DefaultWindowBytes ||
		c.Retry.Base != client.DefaultRetryBase || c.Retry.Cap != client.DefaultRetryCap || c.ReadTimeout != client.DefaultReadTimeout ||
		c.RemoteCommand != client.DefaultRemoteCommand {
		t.Errorf("client defaults %+v differ from the engine's", c)
	}
	l := config.DefaultServer(os.Getenv).Limits
	if l.MaxFileSize != server.DefaultMaxFileSize || l.MaxConnections != server.DefaultMaxConnections || l.MaxFiles != server.DefaultMaxFiles ||
		l.MaxTags != server.DefaultMaxTags || l.MaxTagLength != server.DefaultMaxTagLength || l.MaxChunkSize != server.DefaultMaxChunkSize ||
		l.IdleTimeout != server.DefaultIdleTimeout || l.FrameTimeout != server.DefaultFrameTimeout || l.PartialExpiry != server.DefaultPartialExpiry {
		t.Errorf("server defaults %+v differ from the server's", l)
	}
	if config.DefaultServer(os.Getenv).JWT.Leeway != auth.DefaultLeeway {
		t.Errorf("JWT leeway default differs from auth.DefaultLeeway")
	}
}

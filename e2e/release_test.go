package e2e

// The systemd unit and server config shipped in the deb and rpm packages are
// only useful if the real binary accepts them: these tests run the unit's
// ExecStart with the shipped config file, and check every example the
// config file suggests.

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The files in packaging/ (from this package's directory) and where the
// packages install them (see nfpms in .goreleaser.yaml).
const (
	unitPath            = "../packaging/hoist.service"
	configPath          = "../packaging/config.toml"
	installedBinary     = "/usr/bin/hoist"
	installedConfigPath = "/etc/hoist/config.toml"
)

// TestSystemdUnitStartsServer runs the unit's command line with the shipped
// config file and a temporary data directory, adding only what keeps the
// test on loopback (a TCP listener on 127.0.0.1 and a Unix socket, flags
// taking precedence over the file's 0.0.0.0:7800). The server must answer on
// both and stop cleanly on SIGTERM, the unit's KillSignal.
func TestSystemdUnitStartsServer(t *testing.T) {
	t.Parallel()
	unit := readUnit(t, unitPath)
	if got := unit.get("KillSignal"); got != "SIGTERM" {
		t.Errorf("KillSignal=%s, want SIGTERM: hoist shuts down gracefully on SIGTERM", got)
	}
	args := strings.Fields(unit.get("ExecStart"))
	if len(args) < 2 || args[0] != installedBinary || args[1] != "serve" {
		t.Fatalf("ExecStart runs %q, want %s serve ...", args, installedBinary)
	}
	root := t.TempDir()
	sock := filepath.Join(t.TempDir(), "hoist.sock")
	args = replaceFlagValue(t, args, "--config", installedConfigPath, configPath)
	args = replaceFlagValue(t, args, "--root", "/var/lib/"+unit.get("StateDirectory"), root)
	args = append(args, "--listen", "127.0.0.1:0", "--unix", sock)

	p := hoist.StartServerArgs(t, root, args[2:])
	if p.Addr == "" || p.Unix != "unix://"+sock {
		t.Fatalf("server announced TCP %q and Unix %q, want a TCP address and unix://%s", p.Addr, p.Unix, sock)
	}
	for _, target := range []struct{ network, addr string }{{"tcp", p.Addr}, {"unix", sock}} {
		c, err := net.DialTimeout(target.network, target.addr, 30*time.Second)
		if err != nil {
			t.Fatalf("dialing the unit's server on %s %s: %v", target.network, target.addr, err)
		}
		c.Close()
	}
	if _, err := os.Stat(filepath.Join(root, "jwt-secret")); err != nil {
		t.Errorf("the server made no token secret in its data directory: %v", err)
	}
	if err := p.Terminate(); err != nil {
		t.Fatalf("after SIGTERM hoist serve exited with %v, want a clean exit\nstderr:\n%s", err, p.Stderr())
	}
}

// TestSystemdUnitLayout checks that the unit runs the packaged binary with
// the packaged config, as the hoist user, with its data in the directory
// systemd creates for it, the only one the hardened service may write.
func TestSystemdUnitLayout(t *testing.T) {
	t.Parallel()
	unit := readUnit(t, unitPath)
	want := installedBinary + " serve --config " + installedConfigPath + " --root /var/lib/hoist"
	if got := strings.Join(strings.Fields(unit.get("ExecStart")), " "); got != want {
		t.Errorf("ExecStart=%s, want %s", got, want)
	}
	for key, want := range map[string]string{
		"User":           "hoist",
		"StateDirectory": "hoist",
		"ProtectSystem":  "strict",
		"Restart":        "on-failure",
	} {
		if got := unit.get(key); got != want {
			t.Errorf("%s=%s, want %s", key, got, want)
		}
	}
}

// TestPackagedConfigExamples uncomments every example setting in the shipped
// config file ("#key = value") and checks that hoist accepts the result:
// an operator who enables one meets no unknown key or wrong type.
func TestPackagedConfigExamples(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(configPath)
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile(`(?m)^#([a-z_]+ = .+)$`)
	if n := len(example.FindAll(data, -1)); n < 5 {
		t.Fatalf("%s has %d commented examples, want at least 5", configPath, n)
	}
	enabled := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(enabled, example.ReplaceAll(data, []byte("$1")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{configPath, enabled} {
		if _, stderr, err := tryHoist(t, nil, "config", "--config", file); err != nil {
			t.Errorf("hoist config --config %s (from %s): %v\n%s", file, configPath, err, stderr)
		}
	}
}

// unitFile holds the [Service] settings of a systemd unit.
type unitFile struct {
	path     string
	settings map[string]string
}

func (u unitFile) get(key string) string { return u.settings[key] }

// readUnit parses the [Service] section of the unit file at path; a key
// that repeats keeps its last value.
func readUnit(t *testing.T, path string) unitFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unitFile{path: path, settings: map[string]string{}}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = line
		case section == "[Service]":
			key, value, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s:%d: not key=value: %q", path, n, line)
			}
			u.settings[key] = value
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(u.settings) == 0 {
		t.Fatalf("%s has no [Service] settings", path)
	}
	return u
}

// replaceFlagValue returns args with the value of flag, which must be want,
// replaced by value.
func replaceFlagValue(t *testing.T, args []string, flag, want, value string) []string {
	t.Helper()
	out := append([]string(nil), args...)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == flag {
			if out[i+1] != want {
				t.Fatalf("ExecStart has %s %s, want %s", flag, out[i+1], want)
			}
			out[i+1] = value
			return out
		}
	}
	t.Fatalf("ExecStart %q has no %s", args, flag)
	return nil
}

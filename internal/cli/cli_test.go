package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestHelpListsEveryCommand checks that `hoist --help` names every command
// and that each answers --help with its usage and exit status 0, as a user
// discovering the tool would try.
func TestHelpListsEveryCommand(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	help := s.mustRun("--help")
	root := newRootCommand(&Env{Getenv: s.env(nil, nil).Getenv})
	var names []string
	for _, c := range root.Commands() {
		if !c.Hidden {
			names = append(names, c.Name())
		}
	}
	for _, want := range []string{"ui", "serve", "send", "token", "ls", "demo", "config", "completion", "version"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("hoist has no command %q; it has %v", want, names)
		}
	}
	for _, name := range names {
		if !strings.Contains(help, "\n  "+name+" ") {
			t.Errorf("hoist --help does not list %q:\n%s", name, help)
		}
		r := s.run(name, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:") || r.stderr != "" {
			t.Errorf("hoist %s --help: exit %d, stderr %q, stdout:\n%s", name, r.code, r.stderr, r.stdout)
		}
	}
}

// TestUnknownFlagIsOneLine checks that a wrong flag is refused in one line
// and a pointer to --help, with exit status 2, before anything runs.
func TestUnknownFlagIsOneLine(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"send", "--bogus"}, "hoist send: unknown flag: --bogus"},
		{[]string{"send", "a.txt", "--bogus"}, "hoist send: unknown flag: --bogus"},
		// Go's single-dash long flags are gone: pflag reads -json as -j -s -o -n.
		{[]string{"send", "a.txt", "-json"}, "hoist send: unknown shorthand flag: 'j' in -json"},
		{[]string{"--bogus"}, "hoist: unknown flag: --bogus"},
		// The root takes the UI's flags (and checks them before opening it).
		{[]string{"--color", "sometimes"}, `hoist: invalid argument "sometimes" for "--color" flag: want one of auto, always, never`},
		{[]string{"token", "--sub"}, "hoist token: flag needs an argument: --sub"},
		{[]string{"serve", "--quota", "lots"}, `hoist serve: invalid argument "lots" for "--quota" flag`},
		{[]string{"send"}, "hoist send: nothing to upload"},
	} {
		r := s.run(tc.args...)
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		cmd := strings.Fields(tc.want)[0] + " " + tc.args[0]
		if strings.HasPrefix(tc.args[0], "-") {
			cmd = "hoist"
		}
		if r.code != 2 || len(lines) > 3 || !strings.HasPrefix(r.stderr, tc.want) ||
			lines[len(lines)-1] != "Run '"+strings.TrimSuffix(cmd, ":")+" --help' for usage." || r.stdout != "" {
			t.Errorf("hoist %s: exit %d, stdout %q, stderr (%d lines):\n%s\nwant exit 2 and at most 3 lines starting %q",
				strings.Join(tc.args, " "), r.code, r.stdout, len(lines), r.stderr, tc.want)
		}
	}
}

// TestUnknownCommand checks that a mistyped command is refused with a hint
// instead of opening the UI.
func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	r := newSandbox(t).run("sedn", "file.txt")
	want := "hoist: unknown command \"sedn\" (did you mean \"send\"?)\nRun 'hoist --help' for usage.\n"
	if r.code != 2 || r.stderr != want {
		t.Errorf("hoist sedn file.txt: exit %d, stderr:\n%s\nwant exit 2 and:\n%s", r.code, r.stderr, want)
	}
}

// TestCompletionBash sources the bash completion script in bash.
func TestCompletionBash(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash is needed for this test: %v", err)
	}
	s := newSandbox(t)
	script := filepath.Join(s.home, "hoist.bash")
	if err := os.WriteFile(script, []byte(s.mustRun("completion", "bash")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bash, "-c", `set -e; source <(cat "$1"); complete -p hoist`, "bash", script).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "hoist") {
		t.Fatalf("sourcing `hoist completion bash`: %v\n%s", err, out)
	}
	for _, shell := range []string{"zsh", "fish", "powershell"} {
		if out := s.mustRun("completion", shell); !strings.Contains(out, "hoist") {
			t.Errorf("hoist completion %s prints no script for hoist:\n%s", shell, out)
		}
	}
}

// TestVersion checks --version and `hoist version`, with the release
// build's stamp and with what the Go toolchain records instead.
func TestVersion(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if out := s.mustRun(args...); out != "hoist 1.2.3 (commit abc, built 2026-01-01)\n" {
			t.Errorf("hoist %s = %q", args[0], out)
		}
	}

	recorded := func(version string, settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/hoist-dev/hoist", Version: version}}
			for i := 0; i+1 < len(settings); i += 2 {
				info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return info, true
		}
	}
	for _, tc := range []struct {
		name  string
		build Build
		read  func() (*debug.BuildInfo, bool)
		want  string
	}{
		{"go install @v1.4.0", Build{}, recorded("v1.4.0"), "v1.4.0 (commit none, built unknown)"},
		{"go build in a clone", Build{}, recorded("(devel)", "vcs.revision", "0123abc", "vcs.time", "2026-11-30T10:00:00Z", "vcs.modified", "false"),
			"dev (commit 0123abc, built 2026-11-30T10:00:00Z)"},
		{"go build with changes", Build{}, recorded("v1.4.1-0.20261130100000-0123abc+dirty", "vcs.revision", "0123abc", "vcs.modified", "true"),
			"v1.4.1-0.20261130100000-0123abc+dirty (commit 0123abc-dirty, built unknown)"},
		{"no build information", Build{}, func() (*debug.BuildInfo, bool) { return nil, false }, "dev (commit none, built unknown)"},
		{"release build", Build{"2.0.0", "fff", "2026-12-01"}, recorded("v9.9.9", "vcs.revision", "eee"), "2.0.0 (commit fff, built 2026-12-01)"},
	} {
		if got := tc.build.orRecorded(tc.read).String(); got != tc.want {
			t.Errorf("%s: version %q, want %q", tc.name, got, tc.want)
		}
	}

	env := s.env(&syncBuffer{}, &syncBuffer{})
	var stdout syncBuffer
	env.Stdout = &stdout
	env.Build = Build{}.orRecorded(recorded("v1.4.0", "vcs.revision", "0123abc", "vcs.time", "2026-11-30T10:00:00Z"))
	if code := Run(t.Context(), env, []string{"--version"}); code != 0 || stdout.String() != "hoist v1.4.0 (commit 0123abc, built 2026-11-30T10:00:00Z)\n" {
		t.Errorf("hoist --version of a go-installed binary: exit %d, %q", code, stdout.String())
	}
}

// TestManPages writes the manual pages as the release build does.
func TestManPages(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	dir := filepath.Join(s.home, "man")
	s.mustRun("man", dir, "--date", "2026-01-02T03:04:05Z")
	for _, name := range []string{"hoist.1", "hoist-send.1", "hoist-serve.1", "hoist-token.1", "hoist-config-init.1", "hoist-completion-bash.1"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if !strings.Contains(string(b), `.TH "HOIST" "1" "Jan 2026" "hoist 1.2.3" `) {
			t.Errorf("%s has no title line of hoist 1.2.3, January 2026:\n%s", name, b[:min(len(b), 300)])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "hoist-man.1")); err == nil {
		t.Error("the hidden man command has a page")
	}
	if r := s.run("--help"); strings.Contains(r.stdout, "\n  man ") {
		t.Errorf("hoist --help lists the hidden man command:\n%s", r.stdout)
	}
}

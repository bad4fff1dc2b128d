package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestHelpListsEveryCommand checks that `hoist --help` names every
// subcommand and that each one answers --help with its own usage and exit
// status 0, as a user discovering the tool would try.
func TestHelpListsEveryCommand(t *testing.T) {
	out := runHoist(t, "--help")
	for _, c := range commands() {
		if !strings.Contains(out, "  "+c.name+" ") {
			t.Errorf("hoist --help does not list %q:\n%s", c.name, out)
		}
		stdout, stderr, err := tryHoist(t, nil, c.name, "--help")
		if err != nil {
			t.Errorf("hoist %s --help: %v\n%s", c.name, err, stderr)
			continue
		}
		if help := stdout + stderr; !strings.Contains(strings.ToLower(help), "usage") {
			t.Errorf("hoist %s --help prints no usage:\n%s", c.name, help)
		}
	}
}

// TestUnknownCommandFails checks that a mistyped command is refused with
// the usage and a non-zero status instead of opening the UI.
func TestUnknownCommandFails(t *testing.T) {
	_, stderr, err := tryHoist(t, nil, "sedn", "file.txt")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("hoist sedn: got %v, want exit status 1", err)
	}
	if !strings.Contains(stderr, `unknown command "sedn"`) || !strings.Contains(stderr, "Commands:") {
		t.Fatalf("hoist sedn: stderr lacks the error or the usage:\n%s", stderr)
	}
}

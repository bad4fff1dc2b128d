package xdg

import (
	"path/filepath"
	"testing"
)

// env is a fake environment.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestAbsoluteVariablesWin(t *testing.T) {
	d := New(env(map[string]string{
		"XDG_CONFIG_HOME": "/c", "XDG_STATE_HOME": "/s", "XDG_DATA_HOME": "/d", "XDG_RUNTIME_DIR": "/r",
	}), "/home/u")
	for _, c := range []struct{ got, want string }{
		{d.Config("config.toml"), "/c/hoist/config.toml"},
		{d.State("uploads"), "/s/hoist/uploads"},
		{d.Data(), "/d/hoist"},
		{d.Runtime("sock"), "/r/hoist/sock"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestFallbackRule covers the one rule for every directory: unset or
// relative variables fall back to the default under home, and with no home
// either the answer is "".
func TestFallbackRule(t *testing.T) {
	relative := env(map[string]string{
		"XDG_CONFIG_HOME": "c", "XDG_STATE_HOME": "./s", "XDG_DATA_HOME": "d/", "XDG_RUNTIME_DIR": "r",
	})
	for _, getenv := range []func(string) string{env(nil), relative} {
		d := New(getenv, "/home/u")
		for _, c := range []struct{ got, want string }{
			{d.Config("config.toml"), "/home/u/.config/hoist/config.toml"},
			{d.State("tags"), "/home/u/.local/state/hoist/tags"},
			{d.Data(), "/home/u/.local/share/hoist"},
			{d.Runtime("sock"), "/home/u/.local/state/hoist/run/sock"},
		} {
			if c.got != filepath.FromSlash(c.want) {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		}
		none := New(getenv, "")
		for _, got := range []string{none.Config(), none.State("tags"), none.Data(), none.Runtime()} {
			if got != "" {
				t.Errorf("without a home or absolute variables got %q, want \"\"", got)
			}
		}
	}
}

func TestRuntimeFollowsStateWithoutItsVariable(t *testing.T) {
	d := New(env(map[string]string{"XDG_STATE_HOME": "/s"}), "")
	if got := d.Runtime("sock"); got != "/s/hoist/run/sock" {
		t.Errorf("Runtime = %q, want it under $XDG_STATE_HOME", got)
	}
}

func TestUserHomeReadsHOMEFirst(t *testing.T) {
	if got := UserHome(env(map[string]string{"HOME": "/home/x"})); got != "/home/x" {
		t.Errorf("UserHome = %q, want $HOME", got)
	}
	if got := FromEnv(env(map[string]string{"HOME": "/home/x"})).State(); got != "/home/x/.local/state/hoist" {
		t.Errorf("FromEnv(...).State() = %q", got)
	}
}

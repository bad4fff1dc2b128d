package client

import (
	"slices"
	"strings"
	"testing"
)

func TestParseServer(t *testing.T) {
	t.Parallel()
	good := map[string]endpoint{
		"127.0.0.1:7800":               {scheme: "tcp", addr: "127.0.0.1:7800"},
		"tcp://example.org:7800":       {scheme: "tcp", addr: "example.org:7800"},
		"tls://example.org:443":        {scheme: "tls", addr: "example.org:443"},
		"unix:///run/hoist.sock":       {scheme: "unix", addr: "/run/hoist.sock"},
		"ssh://example.org":            {scheme: "ssh", addr: "example.org"},
		"ssh://alice@example.org:2222": {scheme: "ssh", addr: "example.org", user: "alice", port: "2222"},
		"ssh://bob@[::1]:22":           {scheme: "ssh", addr: "::1", user: "bob", port: "22"},
		"[::1]:7800":                   {scheme: "tcp", addr: "[::1]:7800"},
	}
	for in, want := range good {
		got, err := parseServer(in)
		if err != nil || got != want {
			t.Errorf("parseServer(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{
		"", "example.org", "http://example.org:80", "tcp://example.org", "unix://relative",
		"ssh://alice:secret@host", "ssh://", "tcp://host:1/path",
	} {
		if _, err := parseServer(bad); err == nil {
			t.Errorf("parseServer(%q) accepted", bad)
		}
	}
}

// TestSSHTargetIsNeverAnOption: a host or user beginning with "-" would be
// read by ssh as an option (ssh://-oProxyCommand=...@host, git's
// CVE-2017-1000117); such addresses are refused, and the target always
// follows "--".
func TestSSHTargetIsNeverAnOption(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		"ssh://-oProxyCommand=touch%20pwned@host",
		"ssh://-oProxyCommand=touch%20pwned",
		"ssh://alice@-oProxyCommand=x",
		"ssh://-p@host",
	} {
		if ep, err := parseServer(bad); err == nil {
			t.Errorf("parseServer(%q) accepted: %+v", bad, ep)
		} else if !strings.Contains(err.Error(), "-") {
			t.Errorf("parseServer(%q): %v does not say why", bad, err)
		}
	}
	d := &dialer{sshCommand: []string{"ssh", "-o", "BatchMode=yes"}, remoteCommand: DefaultRemoteCommand}
	args := d.sshArgs(endpoint{scheme: "ssh", addr: "example.org", user: "alice", port: "2222"})
	want := []string{"-o", "BatchMode=yes", "-p", "2222", "--", "alice@example.org", DefaultRemoteCommand}
	if !slices.Equal(args, want) {
		t.Fatalf("ssh arguments %q, want %q", args, want)
	}
	// Start refuses before anything runs (the ssh command does not exist).
	e, err := New(Options{
		Server: "ssh://-oProxyCommand=x@host", Token: StaticToken("t"), JournalDir: t.TempDir(),
		SSHCommand: []string{"/nonexistent/ssh"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	path, _ := writeFile(t, t.TempDir(), "f.bin", 10, 1)
	if _, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "f.bin"}}}); err == nil || !strings.Contains(err.Error(), "begins with") {
		t.Fatalf("Start with an option as the ssh user: %v", err)
	}
}

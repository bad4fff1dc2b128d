package client

import "testing"

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

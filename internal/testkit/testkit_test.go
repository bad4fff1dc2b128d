package testkit

import (
	"fmt"
	"net"
	"os/exec"
	"testing"
)

// TestShellQuoteRoundTrips passes awkward strings through a real shell and
// gets each back unchanged.
func TestShellQuoteRoundTrips(t *testing.T) {
	for _, s := range []string{"", "plain", "two words", "it's", `a"b`, "$HOME", "back\\slash", "semi;colon", "new\nline", "*"} {
		out, err := exec.Command("sh", "-c", "printf %s "+ShellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("ShellQuote(%q) = %s: the shell printed %q (%v)", s, ShellQuote(s), out, err)
		}
	}
}

// TestFreePortCanBeBound binds the port FreePort returns.
func TestFreePortCanBeBound(t *testing.T) {
	port := FreePort(t)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("port %d from FreePort: %v", port, err)
	}
	ln.Close()
}

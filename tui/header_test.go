package tui

import (
	"strings"
	"testing"
)

// Every tab's name stays whole however long the server's address: the
// address is cut instead.
func TestHeaderKeepsTabsBeforeALongServerAddress(t *testing.T) {
	opts := testOptions(makeTree(t))
	opts.Server = "tls://uploads.storage.example.com:7800"
	for _, width := range []int{narrowWidth, 64, 80, 120} {
		d := newDriver(t, opts, width, 24)
		header := strings.SplitN(d.view(), "\n", 2)[0]
		for _, tab := range []string{"Browse", "Review", "Upload", "Remote"} {
			if !strings.Contains(header, tab) {
				t.Fatalf("width %d: the header lacks %q: %q", width, tab, header)
			}
		}
		if !strings.Contains(header, "tls://") {
			t.Fatalf("width %d: the header lost the server entirely: %q", width, header)
		}
		if width >= 120 && !strings.Contains(header, opts.Server) {
			t.Fatalf("width %d: the address is cut though it fits: %q", width, header)
		}
	}
}

package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInertControls: colour sequences pass, every other control character
// becomes a visible symbol, and a line without any is returned as is.
func TestInertControls(t *testing.T) {
	for in, want := range map[string]string{
		"plain name":                       "plain name",
		"\x1b[1;38;2;10;20;30mbold\x1b[0m": "\x1b[1;38;2;10;20;30mbold\x1b[0m",
		"title\x1b]0;pwned\x07":            "title␛]0;pwned␇",
		"clear\x1b[2J\x1b[H":               "clear␛[2J␛[H",
		"tab\there\rback\bdel\x7f":         "tab␉here␍back␈del␡",
		"c1 csi \u009b31m":                 "c1 csi \uFFFD31m",
		"broken utf-8 \xc2A stays":         "broken utf-8 \xc2A stays",
		"lone escape at the end \x1b":      "lone escape at the end ␛",
		"unfinished sgr \x1b[31":           "unfinished sgr ␛[31",
		"ünïcödé and emoji 📁 stay":         "ünïcödé and emoji 📁 stay",
	} {
		if got := inertControls(in); got != want {
			t.Errorf("inertControls(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHostileFileNamesStayInert: a file whose name holds escape sequences
// and a bell is listed with them shown, not sent to the terminal: the
// view holds no control character but the styles' colour sequences.
func TestHostileFileNamesStayInert(t *testing.T) {
	home := t.TempDir()
	name := "evil\x1b]0;pwned\x07\x1b[2Jname"
	if err := os.WriteFile(filepath.Join(home, name), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, testOptions(home), 100, 24)
	d.requireView("evil␛]0;pwned␇␛[2Jname")
	// Laid out with its symbols: the size column stays in place.
	for _, l := range strings.Split(d.view(), "\n") {
		if strings.Contains(l, "evil") && !strings.Contains(l, "1 B") {
			t.Fatalf("the row lost its size column: %q", l)
		}
	}
	view := d.view()
	for i := 0; i < len(view); i++ {
		c := view[i]
		if c == '\x1b' {
			if n := sgrLen(view[i:]); n > 0 {
				i += n - 1
				continue
			}
		}
		if c < 0x20 && c != '\n' || c == 0x7f {
			t.Fatalf("the view holds control character %q at %d: %q", c, i, view[max(0, i-20):min(len(view), i+20)])
		}
	}
	if strings.Contains(view, "\u009b") {
		t.Fatal("the view holds a C1 control")
	}
}

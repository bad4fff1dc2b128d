package tui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/hoist-dev/hoist/transfer/client"
)

func TestCheckTag(t *testing.T) {
	for _, tc := range []struct {
		tag string
		ok  bool
	}{
		{"photos", true},
		{"two words", true},
		{"ünïcödé-日本", true},
		{strings.Repeat("x", maxTagBytes), true},
		{strings.Repeat("é", maxTagBytes/2), true},
		{"", false},
		{"a,b", false},
		{"tab\there", false},
		{"new\nline", false},
		{"nul\x00", false},
		{"zero\u200bwidth", false},
		{"bad\xffutf8", false},
		{strings.Repeat("x", maxTagBytes+1), false},
		{strings.Repeat("é", maxTagBytes/2) + "x", false},
	} {
		if err := checkTag(tc.tag); (err == nil) != tc.ok {
			t.Errorf("checkTag(%q) = %v, want ok=%v", tc.tag, err, tc.ok)
		}
	}
}

func TestAddTagLimits(t *testing.T) {
	var tags []string
	var err error
	for i := range maxTags {
		if tags, err = addTag(tags, strings.Repeat("t", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := addTag(tags, "more"); err == nil {
		t.Fatalf("tag %d accepted", maxTags+1)
	}
	if _, err := addTag(tags[:2], "t"); err == nil {
		t.Fatal("duplicate tag accepted")
	}
	base := []string{"a"}
	grown, _ := addTag(base[:1:1], "b")
	grown2, _ := addTag(base[:1:1], "c")
	if grown[1] != "b" || grown2[1] != "c" {
		t.Fatal("addTag shares the caller's backing array")
	}
}

func TestFitChunkMapKeepsTheMostNotableState(t *testing.T) {
	const (
		M = client.ChunkMissing
		F = client.ChunkInFlight
		H = client.ChunkHeld
		R = client.ChunkRetrying
	)
	cells := []client.ChunkState{H, H, H, M, H, F, R, H, M, M}
	if got := fitChunkMap(cells, 20); !slices.Equal(got, cells) {
		t.Fatalf("a map that fits was changed: %v", got)
	}
	if got, want := fitChunkMap(cells, 5), []client.ChunkState{H, M, F, R, M}; !slices.Equal(got, want) {
		t.Fatalf("fit to 5 = %v, want %v", got, want)
	}
	if got, want := fitChunkMap(cells, 1), []client.ChunkState{R}; !slices.Equal(got, want) {
		t.Fatalf("fit to 1 = %v, want %v", got, want)
	}

	s := DefaultStyles()
	big := chunkMap(client.MaxMapCells, 500, 20, 3)
	for _, width := range []int{1, 7, 80, 200} {
		out := renderChunkMap(&s, big, width, 3)
		lines := strings.Split(out, "\n")
		if len(lines) > 3 {
			t.Errorf("width %d: %d rows", width, len(lines))
		}
		for _, l := range lines {
			if lipgloss.Width(l) > width {
				t.Errorf("width %d: row of %d cells", width, lipgloss.Width(l))
			}
		}
		if !strings.Contains(out, symResent) {
			t.Errorf("width %d: the resent chunks vanished from the map", width)
		}
	}
}

func TestFormat(t *testing.T) {
	for d, want := range map[time.Duration]string{-time.Second: "0s", 4 * time.Second: "4s", 125 * time.Second: "2m05s", 3780 * time.Second: "1h03m"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%s) = %q, want %q", d, got, want)
		}
	}
	if got := spread("left side", "right", 12); got != "left … right" {
		t.Errorf("spread = %q, want the left side cut", got)
	}
	if got := spread("l", "r", 5); got != "l   r" {
		t.Errorf("spread = %q", got)
	}
	if got := scrollWindow(0, 30, 100, 10); got != 21 {
		t.Errorf("scrollWindow down = %d, want 21", got)
	}
	if got := scrollWindow(21, 5, 100, 10); got != 5 {
		t.Errorf("scrollWindow up = %d, want 5", got)
	}
}

func TestSelection(t *testing.T) {
	s := newSelection()
	a := File{Path: "/r/d/a", Name: "a", Size: 1}
	b := File{Path: "/r/d/e/b", Name: "b", Size: 2}
	c := File{Path: "/r/c", Name: "c", Size: 4}
	s.addDir("/r/d", []File{a, b})
	s.add(c)
	if s.len() != 3 || s.size() != 7 || s.countUnder("/r") != 3 || s.countUnder("/r/d") != 2 {
		t.Fatalf("counts: len %d size %d under /r %d", s.len(), s.size(), s.countUnder("/r"))
	}
	if !s.wholeDir("/r/d") || !s.wholeDir("/r/d/e") || s.wholeDir("/r") {
		t.Fatal("whole-directory marks wrong")
	}
	s.remove(a.Path)
	if s.wholeDir("/r/d") || !s.wholeDir("/r/d/e") {
		t.Fatal("deselecting a file did not break its directory's whole mark only")
	}
	s.add(a) // picked again: now last
	if got := s.list(); !slices.Equal(got, []File{b, c, a}) {
		t.Fatalf("order = %v", got)
	}
	s.removeDir("/r/d")
	if got := s.list(); !slices.Equal(got, []File{c}) || s.countUnder("/r/d") != 0 {
		t.Fatalf("after removeDir: %v", got)
	}
	for i := range 500 {
		f := File{Path: "/r/many/" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String(), Size: 1}
		s.add(f)
		s.remove(f.Path)
	}
	if len(s.order) > 2*s.len()+64 || s.len() != 1 {
		t.Fatalf("order grew to %d for %d files", len(s.order), s.len())
	}
}

// TestSetColorFollowsTheChoiceOnly checks the three choices, and that the
// UI leaves NO_COLOR to its caller: the environment changes nothing.
func TestSetColorFollowsTheChoiceOnly(t *testing.T) {
	defer lipgloss.SetColorProfile(termenv.Ascii)
	red := lipgloss.NewStyle().Foreground(colorRed)
	t.Setenv("NO_COLOR", "1")

	lipgloss.SetColorProfile(termenv.ANSI256)
	SetColor("auto")
	if got := red.Render("x"); got == "x" {
		t.Fatal("auto lost the terminal's colours (did the UI read NO_COLOR itself?)")
	}
	SetColor("never")
	if got := red.Render("x"); got != "x" {
		t.Fatalf("never still colours: %q", got)
	}
	SetColor("auto")
	if got := red.Render("x"); got != "x" {
		t.Fatalf("auto on a colourless terminal colours: %q", got)
	}
	SetColor("always")
	if got := red.Render("x"); got == "x" {
		t.Fatal("always does not colour a colourless terminal")
	}
}

func TestEventLogWrapsWholeEntries(t *testing.T) {
	s := DefaultStyles()
	var l eventLog
	l.add(logLine{at: fixedNow, text: "first entry, long enough to need a second line here"})
	l.add(logLine{at: fixedNow, level: levelWarn, text: "second"})
	got := l.render(&s, 40, 3, 0)
	want := "15:09:26 · first entry, long enough to\n           need a second line here\n15:09:26 ! second"
	if got != want {
		t.Fatalf("render =\n%s\nwant\n%s", got, want)
	}
	if got := l.render(&s, 40, 2, 0); got != "15:09:26 ! second" {
		t.Fatalf("an entry that does not fit whole is shown:\n%s", got)
	}
	if got := l.render(&s, 40, 2, 1); got != want[:strings.LastIndex(want, "\n")] {
		t.Fatalf("scrolled back one entry:\n%s", got)
	}
	for range maxLogLines + 5 {
		l.add(logLine{at: fixedNow, text: "x"})
	}
	if len(l.lines) > maxLogLines {
		t.Fatalf("the log holds %d lines, more than %d", len(l.lines), maxLogLines)
	}
}

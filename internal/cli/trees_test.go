package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/transfer/client"
	"github.com/hoist-dev/hoist/transfer/servertest"
)

// mkTree writes files (slash paths under dir) and empty directories.
func mkTree(t *testing.T, dir string, files map[string]string, empty ...string) {
	t.Helper()
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range empty {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSendTreeThenLsAndRm sends the tree with one command, lists
// it with hoist ls --server (tags included), sends it again (everything
// already there), changes a file (stored under a new name, reported), and
// removes files with hoist rm: one's own works, another user's is refused
// and changes nothing.
func TestSendTreeThenLsAndRm(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	s := newSandbox(t)
	alice := writeFile(t, s.home, "alice.jwt", srv.Token("alice"))
	bob := writeFile(t, s.home, "bob.jwt", srv.Token("bob"))
	dir := filepath.Join(s.home, "trip")
	mkTree(t, dir, map[string]string{"a/notes.txt": "one", "b/sub/notes.txt": "two"}, "empty")
	conn := []string{"--server", srv.URL(), "--token-file", alice}

	out := s.mustRun(append([]string{"send", dir, "--tag", "holiday"}, conn...)...)
	for _, want := range []string{"verified trip/a/notes.txt", "verified trip/b/sub/notes.txt", "1 empty directory not sent", "done: 2 file(s) sent in 1 part(s), 0 already there"} {
		if !strings.Contains(out, want) {
			t.Errorf("send output lacks %q:\n%s", want, out)
		}
	}

	ls := s.mustRun(append([]string{"ls"}, conn...)...)
	for _, want := range []string{"trip/a/notes.txt", "trip/b/sub/notes.txt", "holiday"} {
		if !strings.Contains(ls, want) {
			t.Errorf("ls --server lacks %q:\n%s", want, ls)
		}
	}
	js := s.mustRun(append([]string{"ls", "--json", "--prefix", "trip/b/"}, conn...)...)
	var rec lsRemoteJSON
	if err := json.Unmarshal([]byte(strings.TrimSpace(js)), &rec); err != nil {
		t.Fatalf("ls --json --prefix: %v\n%s", err, js)
	}
	if rec.Path != "trip/b/sub/notes.txt" || len(rec.SHA256) != 64 || rec.Size != 3 || strings.Join(rec.Tags, ",") != "holiday" {
		t.Fatalf("ls --json: %+v", rec)
	}

	// Again: no chunk, both already there (in --json too).
	again := s.mustRun(append([]string{"send", dir, "--json", "--tag", "holiday"}, conn...)...)
	there, done := 0, false
	sc := bufio.NewScanner(strings.NewReader(again))
	for sc.Scan() {
		var ev struct {
			Type, Action, Kind string
			AlreadyThere       int `json:"already_there"`
		}
		json.Unmarshal(sc.Bytes(), &ev)
		switch {
		case ev.Type == "chunk":
			t.Fatalf("a chunk went out for a tree the server holds: %s", sc.Text())
		case ev.Type == "already_there":
			there++
		case ev.Type == "job" && ev.Kind == "done":
			done = ev.AlreadyThere == 2
		}
	}
	if there != 2 || !done {
		t.Fatalf("%d already_there events (want 2), job done with 2 already there: %v\n%s", there, done, again)
	}

	// A changed file is stored under a new name, and the output says so.
	if err := os.WriteFile(filepath.Join(dir, "a/notes.txt"), []byte("one, changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = s.mustRun(append([]string{"send", dir, "--tag", "holiday"}, conn...)...)
	for _, want := range []string{"already there trip/b/sub/notes.txt", "verified trip/a/notes.txt", "(stored as trip/a/notes (2).txt)"} {
		if !strings.Contains(out, want) {
			t.Errorf("send output lacks %q:\n%s", want, out)
		}
	}
	// And again: found at its new name, not sent a third time.
	out = s.mustRun(append([]string{"send", dir, "--tag", "holiday"}, conn...)...)
	if !strings.Contains(out, "already there trip/a/notes.txt (as trip/a/notes (2).txt)") || strings.Contains(out, "verified") {
		t.Errorf("the changed file, sent again:\n%s", out)
	}

	// bob cannot remove alice's file; nothing changes.
	r := s.run("rm", "--server", srv.URL(), "--token-file", bob, "trip/a/notes.txt")
	if r.code == 0 || !strings.Contains(r.stderr, "trip/a/notes.txt") || !strings.Contains(r.stderr, "nothing removed") {
		t.Fatalf("bob's rm: exit %d, stderr %q", r.code, r.stderr)
	}
	if n := len(srv.Files("alice")); n != 3 {
		t.Fatalf("alice holds %d files after bob's refused rm, want 3", n)
	}
	rmOut := s.mustRun(append([]string{"rm", "trip/a/notes (2).txt"}, conn...)...)
	if !strings.Contains(rmOut, "removed trip/a/notes (2).txt") {
		t.Fatalf("rm output: %q", rmOut)
	}
	if n := len(srv.Files("alice")); n != 2 {
		t.Fatalf("alice holds %d files after rm, want 2", n)
	}
}

func TestLsServerAndRootExcludeEachOther(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	r := s.run("ls", "--server", "tcp://127.0.0.1:1", "--root", s.home)
	if r.code != 2 || !strings.Contains(r.stderr, "one or the other") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestSendExcludeAndLimitRateFlags: --exclude leaves files out (and the
// count is reported); --limit-rate reaches the engine.
func TestSendExcludeAndLimitRateFlags(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	s := newSandbox(t)
	tok := writeFile(t, s.home, "alice.jwt", srv.Token("alice"))
	dir := filepath.Join(s.home, "src")
	mkTree(t, dir, map[string]string{"keep.txt": "k", "x.tmp": "t", "deep/er/y.tmp": "t", "cache/z": "z"})
	out := s.mustRun("send", dir, "--server", srv.URL(), "--token-file", tok, "--exclude", "*.tmp", "--exclude", "cache", "--limit-rate", "1MiB")
	if !strings.Contains(out, "3 excluded") {
		t.Errorf("output lacks the excluded count:\n%s", out)
	}
	files := srv.Files("alice")
	if len(files) != 1 || files[0].Stored != "src/keep.txt" {
		t.Fatalf("server holds %+v, want only src/keep.txt", files)
	}
	c, _, err := config.LoadClient(nil, func(k string) string {
		return map[string]string{"HOIST_LIMIT_RATE": "2MiB", "HOIST_CONFIG": filepath.Join(s.home, "none.toml")}[k]
	})
	if err == nil && c.LimitRate != 2<<20 {
		t.Fatalf("HOIST_LIMIT_RATE=2MiB gave %d", c.LimitRate)
	}
	if o := engineOptions(config.Client{LimitRate: 2 << 20}, client.NoToken, s.home); o.RateLimit != 2<<20 {
		t.Fatalf("engine options have rate limit %d", o.RateLimit)
	}
}

// TestTablesAlignWideCharacters: columns are padded by display cells, so a
// name with accents, CJK and an emoji keeps the next columns aligned.
func TestTablesAlignWideCharacters(t *testing.T) {
	var b strings.Builder
	rows := [][]string{{"résumé_日本語_🚀.txt", "1 KiB", "x"}, {"plain.txt", "22 KiB", "y"}}
	if err := writeTable(&b, []string{"PATH", "SIZE", "Z"}, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if a, b2, c := secondColumn(lines[0]), secondColumn(lines[1]), secondColumn(lines[2]); a != b2 || b2 != c {
		t.Fatalf("second column starts at cells %d, %d, %d:\n%s", a, b2, c, b.String())
	}
}

// secondColumn is the display cell where a table line's second column
// starts: after the first run of two or more spaces.
func secondColumn(l string) int {
	i := strings.Index(l, "  ")
	if i < 0 {
		return -1
	}
	j := i
	for j < len(l) && l[j] == ' ' {
		j++
	}
	return runewidth.StringWidth(l[:j])
}

// TestLocalLsAlignsWideNames runs hoist ls --root on a server that stored
// a wide-character name: the SIZE column starts at the same cell on every
// line.
func TestLocalLsAlignsWideNames(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	s := newSandbox(t)
	tok := writeFile(t, s.home, "alice.jwt", srv.Token("alice"))
	wide := writeFile(t, s.home, "résumé_日本語_🚀.txt", "wide")
	plain := writeFile(t, s.home, "plain.txt", "plain")
	s.mustRun("send", wide, plain, "--server", srv.URL(), "--token-file", tok)
	for _, args := range [][]string{{"ls", "--root", srv.Root()}, {"ls", "--server", srv.URL(), "--token-file", tok}} {
		out := s.mustRun(args...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 3 {
			t.Fatalf("%v: %d lines:\n%s", args, len(lines), out)
		}
		want := -1
		for _, l := range lines {
			if c := secondColumn(l); want >= 0 && c != want {
				t.Fatalf("%v: the second column starts at cell %d and %d:\n%s", args, want, c, out)
			} else {
				want = c
			}
		}
	}
}

// TestProgressLineShowsETAAndFile: the live status line names the file
// being sent and the time left.
func TestProgressLineShowsETAAndFile(t *testing.T) {
	v := &uploadView{fid: "12345678-aaaa", state: client.StateSending, last: &client.ProgressEvent{
		Rate: 1 << 20,
		Files: []client.FileProgress{
			{Name: "a/done.txt", Size: 1 << 20, AckedBytes: 1 << 20, State: client.FileVerified},
			{Name: "b/sub/big.bin", Size: 10 << 20, AckedBytes: 4 << 20, State: client.FileSending},
		},
	}}
	line := statusOf(v)
	for _, want := range []string{"ETA 6s", "b/sub/big.bin", "1/2 files"} {
		if !strings.Contains(line, want) {
			t.Errorf("status line %q lacks %q", line, want)
		}
	}
	for _, c := range []struct {
		left uint64
		rate float64
		want string
	}{{0, 0, "0s"}, {100, 0, "--"}, {130 << 20, 1 << 20, "2m10s"}, {3700 << 20, 1 << 20, "1h01m"}} {
		if got := eta(c.left, c.rate); got != c.want {
			t.Errorf("eta(%d, %v) = %q, want %q", c.left, c.rate, got, c.want)
		}
	}
	r := &textReporter{w: &strings.Builder{}, live: true, width: func() int { return 30 }, uploads: map[string]*uploadView{v.fid: v}}
	r.showStatus()
	shown := r.w.(*strings.Builder).String()
	if w := runewidth.StringWidth(strings.TrimPrefix(shown, "\r\x1b[K")); w > 29 {
		t.Errorf("status line %q is %d cells, wider than the terminal", shown, w)
	}
}

// TestTokenOptionalOnlyOverSSH: without a token, ssh:// presents an empty
// one (the ssh login names the user), every other transport refuses.
func TestTokenOptionalOnlyOverSSH(t *testing.T) {
	if tok, err := tokenSource(config.Client{Server: "ssh://alice@files.example"}); err != nil || tok != client.NoToken {
		t.Fatalf("ssh:// without a token: %v, %v", tok, err)
	}
	if _, err := tokenSource(config.Client{Server: "tcp://files.example:7800"}); !errors.Is(err, config.ErrNoToken) {
		t.Fatalf("tcp:// without a token: %v, want ErrNoToken", err)
	}
	tok, err := tokenSource(config.Client{Server: "ssh://alice@files.example", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := tok.Token(t.Context()); s != "t" {
		t.Fatalf("ssh:// with a token presents %q", s)
	}
}

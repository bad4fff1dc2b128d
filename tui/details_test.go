package tui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/transfer/client"
	"github.com/hoist-dev/hoist/transfer/wire"
)

func TestRetryNowKey(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	fid := d.startTwoFiles()
	d.events(&client.SessionEvent{FID: fid, At: fixedNow, State: client.StateSending, Attempt: 1})
	d.keys("r")
	d.requireView("error: nothing to retry now")

	d.events(retryScript(fid)...)
	d.requireView("r retry now")
	d.keys("r")
	d.requireView("upload 1: trying again now")
	if got, want := d.up.callLog(), []string{"retry-now " + fid}; !slices.Equal(got, want) {
		t.Fatalf("engine calls = %q, want %q", got, want)
	}
}

func TestDetailsOfTheUploadsLastError(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 50, 14)
	fid := d.startTwoFiles()
	d.events(retryScript(fid)...)
	// The status line has no room for the error.
	d.rejectView("connection reset by peer")
	d.requireView("d error details")

	d.keys("d")
	d.requireFlatView("Upload 1 · 2 files", "Attempt 1 failed with the error below.", "hoist tries again in 4s, at 15:09:30;",
		"press r to try now.", "read tcp 127.0.0.1:51234->127.0.0.1:7800: read: connection reset by peer", "What to do",
		"hoist reconnects on its own")
	d.keys("r")
	if got := d.up.callLog(); !slices.Equal(got, []string{"retry-now " + fid}) {
		t.Fatalf("engine calls = %q", got)
	}
	d.keys("esc")
	d.rejectView("What to do")
	d.requireView("Chunks of beach.jpg")
}

// troubles are errors README's Troubleshooting section explains, as the
// engine reports them, with a word of the advice the details must give.
var troubles = []struct {
	err    error
	advice string
}{
	{refusal(wire.CodeUnauthorized, "token refused by server", "token is expired"), "hoist token"},
	{refusal(wire.CodeUnauthorized, "token refused by server", "signature is invalid"), "hoist token --root"},
	{refusal(wire.CodeBadRequest, "request refused by server", `file 0: name "a\x01b" contains a control character`), "Rename the file"},
	{refusal(wire.CodeQuota, "over quota", "storing 3.0 MiB would exceed the quota of 1.0 MiB"), "ask the operator"},
	{refusal(wire.CodeTooLarge, "too large for server", "file 0 is over the limit"), "max_file_size"},
	{refusal(wire.CodeConflict, "conflicts with an upload of the same id", ""), "hoist send --discard"},
	{refusal(wire.CodeForbidden, "not allowed by server", ""), "another user"},
	{errors.New("ssh: Host key verification failed"), "ssh user@host hoist --version"},
	{errors.New("ssh exited: user@host: Permission denied (publickey)"), "ssh user@host hoist --version"},
	{errors.New("the server speaks TLS: use tls://"), "tls://"},
	{errors.New("hoist is not installed on example.org; see --remote-command"), "--remote-command"},
	{errors.New("dial tcp: lookup nowhere.invalid: no such host"), "does not resolve"},
	{errors.New("dial tcp 127.0.0.1:7800: connect: connection refused"), "keeps trying"},
	// The same refusal once printed into text, its *wire.Error lost.
	{fmt.Errorf("upload 1: %s", refusal(wire.CodeQuota, "over quota", "no room")), "Delete files"},
}

// refusal makes an error like transfer/client's worded refusals: the words,
// the code, the reason, with the *wire.Error inside.
func refusal(code wire.Code, words, reason string) error {
	text := words
	if !strings.Contains(words, string(code)) {
		text += " (" + string(code) + ")"
	}
	if reason != "" {
		text += ": " + reason
	}
	return fmt.Errorf("%s%w", text, &wireCause{&wire.Error{Code: code, Reason: reason}})
}

// wireCause hides a *wire.Error's text, keeping it for errors.As.
type wireCause struct{ err *wire.Error }

func (w *wireCause) Error() string { return "" }
func (w *wireCause) Unwrap() error { return w.err }

func TestHintFor(t *testing.T) {
	for _, tc := range troubles {
		if got := client.Hint(tc.err); !strings.Contains(got, tc.advice) {
			t.Errorf("Hint(%q) = %q, want advice with %q", tc.err, got, tc.advice)
		}
	}
	if got := client.Hint(errors.New("something nobody foresaw")); got != "" {
		t.Errorf("advice for an unknown error: %q", got)
	}
}

// TestEveryStatusErrorOpensInFull shows each refusal in the one-line status
// at 40x10, where it is cut, and opens it: the details hold its whole text
// and the advice.
func TestEveryStatusErrorOpensInFull(t *testing.T) {
	for _, tc := range troubles {
		d := newDriver(t, testOptions(makeTree(t)), 40, 10)
		d.send(ErrorMsg{tc.err})
		d.requireView("✗ error: ", "d error details")
		d.keys("d")
		v := d.view()
		// Scroll to the end, collecting what shows.
		for range 20 {
			d.keys("down")
			v += "\n" + d.view()
		}
		for _, want := range []string{tc.err.Error(), tc.advice} {
			if !strings.Contains(noSpace(v), noSpace(want)) {
				t.Errorf("details of %q lack %q:\n%s", tc.err, want, v)
			}
		}
		d.keys("esc")
		d.rejectView("What to do")
	}
}

// noSpace drops white space, where the details may break lines.
func noSpace(s string) string { return strings.Join(strings.Fields(s), "") }

// requireFlatView fails unless the screen shows every one of want, lines
// broken anywhere.
func (d *driver) requireFlatView(want ...string) {
	d.t.Helper()
	v := d.view()
	for _, w := range want {
		if !strings.Contains(noSpace(v), noSpace(w)) {
			d.t.Fatalf("screen lacks %q:\n%s", w, v)
		}
	}
}

func TestDetailsWithNothingToShow(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	d.keys("d")
	d.requireView("no error to show")
	if d.m.details != nil {
		t.Fatal("details opened with no error")
	}
	// Typed into the filter, d is a letter.
	d.keys("/", "d")
	if d.m.details != nil || d.m.browse.list.FilterValue() != "d" {
		t.Fatalf("d in the filter opened details (filter %q)", d.m.browse.list.FilterValue())
	}
}

func TestGoldenDetails(t *testing.T) {
	u := startUI(t, testOptions(makeTree(t)), 80, 24)
	u.startRetry()
	u.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'d'}})
	u.waitFor("What to do")
	u.requireGolden()
}

// The details count down with the status line.
func TestDetailsFollowTheUpload(t *testing.T) {
	now := fixedNow
	opts := testOptions(makeTree(t))
	opts.Now = func() time.Time { return now }
	d := newDriver(t, opts, 80, 24)
	fid := d.startTwoFiles()
	d.events(retryScript(fid)...)
	d.keys("d")
	d.requireView("tries again in 4s")
	now = now.Add(2 * time.Second)
	d.requireView("tries again in 2s")
	d.events(&client.SessionEvent{FID: fid, At: now, State: client.StateSending, Attempt: 2})
	d.requireView("The upload is sending now; this was its last error.")
}

// A file that failed while its upload goes on: its error opens in full.
func TestDetailsOfAFailedFile(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	fid := d.startTwoFiles()
	changed := fmt.Errorf("notes.txt: %w: size 2048 became 4096; upload it again", client.ErrFileChanged)
	d.events(&client.ProgressEvent{FID: fid, At: fixedNow, State: client.StateSending, Files: []client.FileProgress{
		{Index: 0, Name: "notes.txt", Size: 2048, Chunks: 1, State: client.FileFailed, Err: changed},
		{Index: 1, Name: "beach.jpg", Size: 3 << 20, Chunks: 48, State: client.FileSending},
	}})
	d.keys("up") // notes.txt
	d.requireView("✗ failed: notes.txt: file changed", "d error details")
	d.keys("d")
	d.requireFlatView("notes.txt of upload 1 failed", "size 2048 became 4096; upload it again")
}

package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/mattn/go-runewidth"
	"golang.org/x/term"

	"github.com/hoist-dev/hoist/internal/units"
	"github.com/hoist-dev/hoist/transfer/client"
)

// reporter shows the engine's events to the person (or program) running
// `hoist send`.
type reporter interface {
	event(client.Event)
	// interrupted is called when the user stops hoist before the end.
	interrupted()
	// close is called once every upload has ended.
	close()
}

// newReporter picks the output: JSON lines, a live line on a terminal, or
// plain rate-limited lines.
func newReporter(jsonLines bool, out io.Writer) reporter {
	f, isFile := out.(*os.File)
	switch {
	case jsonLines:
		return &jsonReporter{enc: json.NewEncoder(out)}
	case isFile && term.IsTerminal(int(f.Fd())):
		return &textReporter{w: out, live: true, every: 100 * time.Millisecond, width: func() int {
			w, _, err := term.GetSize(int(f.Fd()))
			if err != nil || w <= 0 {
				return 80
			}
			return w
		}}
	}
	return &textReporter{w: out, every: 2 * time.Second}
}

// textReporter prints lines for people. Notable events (reconnects, files
// verified or failed, the end) get a line of their own; progress is one
// line rewritten in place on a terminal (live), or a plain line at most
// every 'every' otherwise. Text from files and servers is cleaned of
// control characters.
type textReporter struct {
	w     io.Writer
	live  bool
	every time.Duration
	width func() int

	uploads   map[string]*uploadView
	lastShown time.Time
	status    bool                 // a live status line is on screen
	walking   *client.WalkProgress // the job's walk, while it runs
	skipped   []string             // "path: reason" of each path the walk skipped
}

// uploadView is what the reporter remembers of one upload.
type uploadView struct {
	fid     string
	started time.Time
	last    *client.ProgressEvent
	files   []client.FileState
	state   client.State
	// resent collects the chunks resent since the last lines about them,
	// by file and reason, so that a burst (every chunk in flight when a
	// connection dropped) makes one line.
	resent      map[resendKey][]uint64
	resentOrder []resendKey
}

type resendKey struct {
	file   int
	reason string
}

func (r *textReporter) view(fid string) *uploadView {
	if r.uploads == nil {
		r.uploads = map[string]*uploadView{}
	}
	v := r.uploads[fid]
	if v == nil {
		v = &uploadView{fid: fid, started: time.Now()}
		r.uploads[fid] = v
	}
	return v
}

func (r *textReporter) event(ev client.Event) {
	switch ev := ev.(type) {
	case *client.JobEvent:
		r.job(ev)
		return
	case *client.AlreadyThereEvent:
		as := ""
		if ev.Stored != "" && ev.Stored != ev.Name {
			as = fmt.Sprintf(" (as %s)", clean(ev.Stored))
		}
		r.line("  already there %s%s  %s  sha256 %s", clean(ev.Name), as, units.FormatSize(ev.Size), ev.SHA256)
		return
	}
	v := r.view(ev.UploadFID())
	switch ev := ev.(type) {
	case *client.ProgressEvent:
		r.progress(v, ev)
	case *client.SessionEvent:
		r.session(v, ev)
	case *client.ChunkEvent:
		r.chunk(v, ev)
	}
}

// chunk notes a resent chunk; the lines about resends are written with the
// next status or session line.
func (r *textReporter) chunk(v *uploadView, ev *client.ChunkEvent) {
	if ev.Action != client.ChunkResent {
		return
	}
	k := resendKey{file: ev.File, reason: ev.Reason}
	if v.resent == nil {
		v.resent = make(map[resendKey][]uint64)
	}
	if _, seen := v.resent[k]; !seen {
		v.resentOrder = append(v.resentOrder, k)
	}
	v.resent[k] = append(v.resent[k], ev.Index)
}

// flushResends writes one line per file and reason about the chunks resent
// since the last such line: which chunks, and why.
func (r *textReporter) flushResends(v *uploadView) {
	for _, k := range v.resentOrder {
		chunks, name := v.resent[k], fmt.Sprintf("file %d", k.file)
		if v.last != nil && k.file >= 0 && k.file < len(v.last.Files) {
			name = v.last.Files[k.file].Name
		}
		reason := clean(k.reason)
		if reason == "" {
			reason = "no reason given"
		}
		if len(chunks) == 1 {
			r.line("  resent chunk %d of %s: %s", chunks[0], clean(name), reason)
			continue
		}
		r.line("  resent %d chunks of %s (%s): %s", len(chunks), clean(name), chunkList(chunks, 6), reason)
	}
	clear(v.resent)
	v.resentOrder = v.resentOrder[:0]
}

// chunkList shows at most n chunk indexes: "3, 4, 9 and 12 more".
func chunkList(chunks []uint64, n int) string {
	var b strings.Builder
	for i, c := range chunks[:min(n, len(chunks))] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, c)
	}
	if more := len(chunks) - n; more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	return b.String()
}

func (r *textReporter) progress(v *uploadView, ev *client.ProgressEvent) {
	if v.last == nil {
		r.line("upload %s: %d file(s), %s", v.fid, len(ev.Files), units.FormatSize(totalSize(ev.Files)))
		v.files = make([]client.FileState, len(ev.Files))
	}
	v.last = ev
	for i, f := range ev.Files {
		if f.State == v.files[i] {
			continue
		}
		v.files[i] = f.State
		if f.State == client.FileVerified || f.State == client.FileFailed {
			r.flushResends(v) // what happened before it, first
		}
		switch f.State {
		case client.FileVerified:
			r.line("  verified %s  %s  sha256 %s%s", clean(f.Name), units.FormatSize(f.Size), f.SHA256, storedAs(f))
		case client.FileFailed:
			r.line("  FAILED %s: %s", clean(f.Name), clean(fmt.Sprint(f.Err)))
		}
	}
	if time.Since(r.lastShown) >= r.every {
		r.showStatus()
	}
}

func (r *textReporter) session(v *uploadView, ev *client.SessionEvent) {
	r.flushResends(v)
	v.state = ev.State
	short := shortFID(v.fid)
	switch ev.State {
	case client.StateBackingOff:
		r.line("%s: %s; retrying in %v (attempt %d)", short, clean(fmt.Sprint(ev.Err)),
			max(time.Until(ev.RetryAt), 0).Round(time.Millisecond), ev.Attempt)
	case client.StatePaused:
		r.line("%s: paused", short)
	case client.StateDone:
		elapsed := time.Since(v.started)
		var size uint64
		if v.last != nil {
			size = totalSize(v.last.Files)
		}
		r.line("%s: done, %d file(s) verified, %s in %v (%s)", short, len(v.files), units.FormatSize(size),
			elapsed.Round(time.Millisecond), units.FormatRate(float64(size)/max(elapsed.Seconds(), 1e-3)))
	case client.StateFailed:
		r.line("%s: failed: %s", short, clean(fmt.Sprint(ev.Err)))
	case client.StateCanceled:
		r.line("%s: canceled", short)
	case client.StateSending:
		if ev.Attempt > 1 && !r.live {
			r.line("%s: sending again (attempt %d)", short, ev.Attempt)
		}
	}
	if ev.State.Final() {
		// A job of many parts would otherwise keep every part's last
		// snapshot; nothing more comes for this upload.
		delete(r.uploads, v.fid)
	}
	if r.live {
		r.showStatus()
	}
}

// showStatus prints the progress of the running uploads.
func (r *textReporter) showStatus() {
	r.lastShown = time.Now()
	for _, v := range r.uploads {
		r.flushResends(v)
	}
	var parts []string
	if w := r.walking; w != nil {
		parts = append(parts, fmt.Sprintf("walking: %d file(s), %s", w.Files, units.FormatSize(w.Bytes)))
	}
	for _, v := range r.uploads {
		if v.last == nil || v.state.Final() {
			continue
		}
		parts = append(parts, statusOf(v))
	}
	if len(parts) == 0 {
		r.clearStatus()
		return
	}
	s := strings.Join(parts, " | ")
	if !r.live {
		fmt.Fprintln(r.w, s)
		return
	}
	if w := r.width(); runewidth.StringWidth(s) >= w {
		s = runewidth.Truncate(s, max(w-1, 0), "")
	}
	fmt.Fprintf(r.w, "\r\x1b[K%s", s)
	r.status = true
}

// statusOf is one upload's progress, its time left and the file being sent:
// "1b2c3d4e 45.2% 5.4 MiB/12 MiB 3.2 MiB/s ETA 2s 1/3 files sending a/notes.txt".
func statusOf(v *uploadView) string {
	var size, acked uint64
	verified := 0
	current := ""
	for _, f := range v.last.Files {
		size += f.Size
		acked += f.AckedBytes
		if f.State == client.FileVerified {
			verified++
		}
		if current == "" && f.State == client.FileSending {
			current = f.Name
		}
	}
	pct := 100.0
	if size > 0 {
		pct = 100 * float64(acked) / float64(size)
	}
	s := fmt.Sprintf("%s %5.1f%% %s/%s %s ETA %s %d/%d files %v", shortFID(v.fid), pct,
		units.FormatSize(acked), units.FormatSize(size), units.FormatRate(v.last.Rate),
		eta(size-acked, v.last.Rate), verified, len(v.last.Files), v.state)
	if current != "" {
		s += " " + clean(current)
	}
	return s
}

// eta is the time left to send left bytes at rate bytes per second, rounded
// for reading ("3s", "2m10s", "1h05m"); "--" while the rate is unknown.
func eta(left uint64, rate float64) string {
	if left == 0 {
		return "0s"
	}
	if rate <= 0 {
		return "--"
	}
	d := time.Duration(float64(left) / rate * float64(time.Second))
	switch {
	case d >= 100*time.Hour:
		return ">99h"
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%ds", int(d.Round(time.Second).Seconds()))
}

// totalSize is the sum of the sizes of files.
func totalSize(files []client.FileProgress) uint64 {
	var n uint64
	for _, f := range files {
		n += f.Size
	}
	return n
}

// shortFID is the start of an upload's fid, enough to tell uploads apart in
// a line.
func shortFID(fid string) string { return fid[:min(8, len(fid))] }

// line prints a line of its own, above the live status line.
func (r *textReporter) line(format string, args ...any) {
	r.clearStatus()
	fmt.Fprintf(r.w, format+"\n", args...)
}

func (r *textReporter) clearStatus() {
	if r.status {
		fmt.Fprint(r.w, "\r\x1b[K")
		r.status = false
	}
}

func (r *textReporter) interrupted() {
	r.line("interrupted: unfinished uploads stay in the journal ('hoist send --resume' continues them)")
}

func (r *textReporter) close() {
	for _, v := range r.uploads {
		r.flushResends(v)
	}
	r.clearStatus()
}

// clean replaces control characters (a file name may hold escape
// sequences or newlines) with visible escapes.
func clean(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		if unicode.IsControl(c) {
			fmt.Fprintf(&b, "\\x%02x", c)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// storedAs says where the server stored a file when that is not the path
// sent: " (stored as a/notes (2).txt)".
func storedAs(f client.FileProgress) string {
	if f.Stored == "" || f.Stored == f.Name {
		return ""
	}
	return fmt.Sprintf(" (stored as %s)", clean(f.Stored))
}

// job reports a job's own events: the walk, its parts, notes and the end.
func (r *textReporter) job(ev *client.JobEvent) {
	short := shortFID(ev.Job)
	switch ev.Kind {
	case client.JobWalking:
		if !ev.Walk.Done {
			w := ev.Walk
			r.walking = &w
			if time.Since(r.lastShown) >= r.every {
				r.showStatus()
			}
			return
		}
		r.walking = nil
		r.line("job %s: %s", short, walkSummary(ev.Walk))
	case client.JobPartStarted:
		if ev.Part > 1 {
			r.line("job %s: part %d", short, ev.Part)
		}
	case client.JobNote:
		r.line("job %s: %s", short, jobEventText(ev))
	case client.JobSkipped:
		r.skipped = append(r.skipped, clean(ev.Path)+": "+clean(ev.Reason))
		r.line("  %s", jobEventText(ev))
	case client.JobDone:
		r.walking = nil
		if len(r.skipped) > 0 {
			r.line("skipped %d:", len(r.skipped))
			for _, s := range r.skipped {
				r.line("  %s", s)
			}
		}
		switch {
		case ev.Err != nil:
			r.line("job %s: failed: %s", short, clean(ev.Err.Error()))
		default:
			r.line("job %s: done: %d file(s) sent in %d part(s), %d already there%s", short,
				ev.Walk.Files-ev.AlreadyThere, ev.Parts, ev.AlreadyThere, skippedTail(ev.Walk.Skipped))
		}
	}
}

// walkSummary describes a finished walk: "3 file(s), 1.2 MiB, in 4
// directories; 2 excluded; 1 empty directory not sent (hoist sends files)".
func walkSummary(w client.WalkProgress) string {
	s := fmt.Sprintf("%d file(s), %s, in %d director%s", w.Files, units.FormatSize(w.Bytes), w.Dirs, plural(w.Dirs, "y", "ies"))
	if w.Excluded > 0 {
		s += fmt.Sprintf("; %d excluded", w.Excluded)
	}
	if w.Unsendable > 0 {
		s += fmt.Sprintf("; %d with a path the server cannot store, not sent", w.Unsendable)
	}
	if w.Skipped > 0 {
		s += fmt.Sprintf("; %d skipped (listed at the end)", w.Skipped)
	}
	if w.EmptyDirs > 0 {
		s += fmt.Sprintf("; %d empty director%s not sent (hoist sends files)", w.EmptyDirs, plural(w.EmptyDirs, "y", "ies"))
	}
	return s
}

// skippedTail ends the job's done line when paths were skipped.
func skippedTail(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d skipped", n)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

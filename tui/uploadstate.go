package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/hoist-dev/hoist/transfer/client"
)

// tracked is what the UI knows of one started upload: the latest snapshot
// from the engine plus what the UI derives from the event stream (rates,
// the last error, a log).
type tracked struct {
	num   int
	fid   string
	tags  []string
	files []trackedFile

	state   client.State
	attempt int
	retryAt time.Time
	// lastErr is why the upload last backed off or failed; the status
	// line shows its first line, the details view all of it.
	lastErr error
	// startErr is set when the engine refused to start the upload.
	startErr error
	wire     uint64
	// meter is the upload's rate: the engine's RateMeter, fed the same
	// snapshots as ProgressEvent.Rate, so the UI and hoist send agree.
	meter client.RateMeter
}

// trackedFile is one file of a tracked upload.
type trackedFile struct {
	client.FileProgress
	rate client.RateMeter
}

func newTracked(num int, fid string, u Upload) *tracked {
	t := &tracked{num: num, fid: fid, tags: u.Tags, state: client.StateQueued}
	for i, f := range u.Files {
		t.files = append(t.files, trackedFile{FileProgress: client.FileProgress{
			Index: i, Name: f.Name, Path: f.Path, Size: f.Size,
		}})
	}
	return t
}

// active reports whether the upload still runs (or waits to).
func (t *tracked) active() bool { return t.startErr == nil && !t.state.Final() }

// sending reports whether the upload's bytes are moving: only then has it
// a rate and an ETA.
func (t *tracked) sending() bool { return t.startErr == nil && t.state == client.StateSending }

func (t *tracked) size() (acked, total uint64) {
	for _, f := range t.files {
		acked += f.AckedBytes
		total += f.Size
	}
	return acked, total
}

// rate is the upload's acknowledged bytes per second around now.
func (t *tracked) rate(now time.Time) float64 {
	return t.meter.PerSecond(now)
}

// applySession records a session event and returns its log line.
func (t *tracked) applySession(ev *client.SessionEvent) logLine {
	t.state = ev.State
	t.attempt = ev.Attempt
	t.retryAt = ev.RetryAt
	line := logLine{at: ev.At, level: levelInfo}
	who := fmt.Sprintf("upload %d", t.num)
	switch ev.State {
	case client.StateBackingOff:
		if ev.Err != nil {
			t.lastErr = ev.Err
		}
		line.level = levelWarn
		line.text = fmt.Sprintf("%s backing off until %s: %s", who, ev.RetryAt.Format("15:04:05"), errText(ev.Err, "connection lost"))
	case client.StateFailed:
		if ev.Err != nil {
			t.lastErr = ev.Err
		}
		line.level = levelError
		line.text = fmt.Sprintf("%s failed: %s", who, errText(ev.Err, "unknown reason"))
	case client.StateConnecting:
		line.text = fmt.Sprintf("%s: connecting (attempt %d)", who, max(1, ev.Attempt))
	case client.StateDone:
		line.text = fmt.Sprintf("%s done: every file verified", who)
	default:
		line.text = fmt.Sprintf("%s: %s", who, ev.State)
	}
	return line
}

// applyChunk records a chunk event; only resends are worth a log line.
func (t *tracked) applyChunk(ev *client.ChunkEvent) (logLine, bool) {
	if ev.Action != client.ChunkResent {
		return logLine{}, false
	}
	name := fmt.Sprintf("file %d", ev.File)
	if ev.File >= 0 && ev.File < len(t.files) {
		name = t.files[ev.File].Name
	}
	return logLine{at: ev.At, level: levelWarn,
		text: fmt.Sprintf("%s chunk %d resent: %s", name, ev.Index, orDefault(ev.Reason, "no reason given"))}, true
}

// applyProgress records a snapshot and returns log lines for files that
// were verified or failed since the last one.
func (t *tracked) applyProgress(ev *client.ProgressEvent) []logLine {
	t.state = ev.State
	t.wire = ev.WireBytes
	var lines []logLine
	for _, fp := range ev.Files {
		if fp.Index < 0 || fp.Index >= len(t.files) {
			continue
		}
		f := &t.files[fp.Index]
		before := f.State
		f.FileProgress = fp
		f.rate.Add(ev.At, fp.AckedBytes)
		if fp.State == before {
			continue
		}
		switch fp.State {
		case client.FileVerified:
			lines = append(lines, logLine{at: ev.At, level: levelOK,
				text: fmt.Sprintf("%s verified: sha256 %s", fp.Name, shortHash(fp.SHA256))})
		case client.FileFailed:
			lines = append(lines, logLine{at: ev.At, level: levelError,
				text: fmt.Sprintf("%s failed: %s", fp.Name, errText(fp.Err, "unknown reason"))})
		}
	}
	acked, _ := t.size()
	t.meter.Add(ev.At, acked)
	return lines
}

// oneLine folds s, an error's text perhaps of several lines, into one line
// for the status line and the rows.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func errText(err error, otherwise string) string {
	if err == nil {
		return otherwise
	}
	return err.Error()
}

func orDefault(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// eta estimates the time left for remaining bytes at rate; ok is false when
// there is no rate to go by.
func eta(remaining uint64, rate float64) (time.Duration, bool) {
	if remaining == 0 {
		return 0, true
	}
	if rate <= 0 {
		return 0, false
	}
	return time.Duration(float64(remaining) / rate * float64(time.Second)), true
}

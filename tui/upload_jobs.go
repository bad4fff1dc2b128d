package tui

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hoist-dev/hoist/internal/units"
	"github.com/hoist-dev/hoist/transfer/agent"
	"github.com/hoist-dev/hoist/transfer/client"
)

// jobState is what the UI knows of a job (Uploader.StartTree): its walk of
// the tree, its parts, and the files the server already held. The tracked
// upload that owns it shows the running part's files.
type jobState struct {
	// id is the engine's job id; empty until StartTree answered.
	id    string
	roots []string
	walk  client.WalkProgress
	// part is the running part's number (from 1); 0 while none started.
	part int
	// parts counts all parts once the job is done.
	parts int
	// there counts files not sent because the server held them, thereBytes
	// their bytes.
	there      int
	thereBytes uint64
	// doneFiles and doneBytes are what the parts before the running one
	// sent.
	doneFiles int
	doneBytes uint64
	done      bool
}

// maxOrphans bounds the events kept for jobs the UI does not know yet.
const maxOrphans = 512

// jobStarted ties the job id StartTree returned to the upload queued as
// key, and applies the events that came before the answer did.
func (u *uploadScreen) jobStarted(key, job string) {
	t := u.byFID[key]
	if t == nil || t.job == nil {
		return
	}
	t.job.id = job
	u.byJob[job] = t
	orphans := u.orphans
	u.orphans = nil
	u.apply(orphans)
}

// adoptJob tracks a job this UI did not start (another UI's, or hoist send
// --detach DIR's) as the agent describes it: the job's later events and
// its latest part's land on its row.
func (u *uploadScreen) adoptJob(info agent.JobInfo) *tracked {
	key := info.PartFID
	if key == "" {
		key = info.ID
	}
	t := &tracked{num: len(u.uploads) + 1, fid: key, tags: info.Tags, state: client.StateQueued,
		job: &jobState{id: info.ID, roots: info.Paths, walk: info.Walk.Progress(), part: info.Parts, there: info.AlreadyThere, thereBytes: info.AlreadyThereBytes,
			doneFiles: info.DoneFiles, doneBytes: info.DoneBytes}}
	u.uploads = append(u.uploads, t)
	u.byFID[key] = t
	u.byJob[info.ID] = t
	if info.Final {
		t.job.done, t.job.parts = true, info.Parts
		switch info.State {
		case client.StateDone.String():
			t.state = client.StateDone
		case client.StateCanceled.String():
			t.state = client.StateCanceled
		default:
			t.state, t.lastErr = client.StateFailed, errors.New(info.Error)
		}
	}
	u.log.add(logLine{at: u.now(), text: fmt.Sprintf("upload %d: %s with their paths, tags %s (job %s, started elsewhere), %s",
		t.num, rootNames(info.Paths), tagList(t.tags), info.ID, info.State)})
	u.replayJobLog(t, info)
	return t
}

// replayJobLog shows what an adopted job said before this UI attached, as
// its live events would have shown it; the counts come from info already.
func (u *uploadScreen) replayJobLog(t *tracked, info agent.JobInfo) {
	if info.LogDropped > 0 {
		at := u.now() // just before the oldest line kept, where the dropped ones were
		if len(info.Log) > 0 && !info.Log[0].At.IsZero() {
			at = info.Log[0].At
		}
		u.log.addReplayed(logLine{at: at, text: fmt.Sprintf("upload %d: %s earlier not kept by the agent",
			t.num, plural(info.LogDropped, "line", "lines"))})
	}
	for _, w := range info.Log {
		switch ev := w.Decode().(type) {
		case *client.JobEvent:
			if line, ok := t.applyJob(ev); ok {
				u.log.addReplayed(line)
			}
		case *client.AlreadyThereEvent:
			u.log.addReplayed(thereLine(ev))
		}
	}
}

// startingJob reports whether a job this UI started has no id yet: its
// StartTree has not answered.
func (u *uploadScreen) startingJob() bool {
	for _, t := range u.uploads {
		if t.job != nil && t.job.id == "" && t.active() {
			return true
		}
	}
	return false
}

// keepOrphan keeps an event about a job or upload the UI may learn of
// later (StartTree's answer can come after the job's first events).
func (u *uploadScreen) keepOrphan(ev client.Event) {
	if len(u.orphans) >= maxOrphans {
		u.orphans = u.orphans[1:]
	}
	u.orphans = append(u.orphans, ev)
}

// applyJob records a job event and returns its log line, if it is worth one.
func (t *tracked) applyJob(ev *client.JobEvent) (logLine, bool) {
	j := t.job
	if ev.Kind.CarriesWalk() {
		j.walk = ev.Walk
	}
	j.there = max(j.there, ev.AlreadyThere)
	who := fmt.Sprintf("upload %d", t.num)
	line := logLine{at: ev.At, level: levelInfo}
	switch ev.Kind {
	case client.JobWalking:
		if !ev.Walk.Done {
			return logLine{}, false
		}
		line.text = fmt.Sprintf("%s: walk done: %s", who, walkText(ev.Walk))
	case client.JobPartStarted:
		for _, f := range t.files {
			j.doneBytes += f.AckedBytes
			if f.State == client.FileVerified {
				j.doneFiles++
			}
		}
		t.files = nil
		t.fid = ev.FID
		t.state, t.attempt, t.lastErr = client.StateQueued, 0, nil
		t.meter = client.RateMeter{}
		j.part = ev.Part
		line.text = fmt.Sprintf("%s: part %d started (fid %s)", who, ev.Part, ev.FID)
	case client.JobNote:
		line.text = fmt.Sprintf("%s: %s", who, ev.Note)
	case client.JobSkipped:
		line.level = levelWarn
		line.text = fmt.Sprintf("%s: skipped %s: %s", who, ev.Path, ev.Reason)
	case client.JobDone:
		j.done, j.parts = true, ev.Parts
		switch {
		case errors.Is(ev.Err, client.ErrCanceled):
			t.state = client.StateCanceled
			line.text = who + " canceled"
		case ev.Err != nil:
			t.state, t.lastErr = client.StateFailed, ev.Err
			line.level, line.text = levelError, fmt.Sprintf("%s failed: %v", who, ev.Err)
		default:
			t.state = client.StateDone
			line.level = levelOK
			line.text = fmt.Sprintf("%s done: %s in %s, %d already there", who,
				plural(ev.Walk.Files-ev.AlreadyThere, "file", "files"), plural(ev.Parts, "part", "parts"), ev.AlreadyThere)
		}
	}
	return line, true
}

// applyThere records a file the server already held.
func (t *tracked) applyThere(ev *client.AlreadyThereEvent) logLine {
	t.job.there++
	t.job.thereBytes += ev.Size
	return thereLine(ev)
}

// thereLine is the log line of a file the server already held.
func thereLine(ev *client.AlreadyThereEvent) logLine {
	text := fmt.Sprintf("%s already there (same path, size and sha256)", ev.Name)
	if ev.Stored != "" && ev.Stored != ev.Name {
		text = fmt.Sprintf("%s already there as %s (same size and sha256)", ev.Name, ev.Stored)
	}
	return logLine{at: ev.At, level: levelOK, text: text}
}

// walkText says what a walk found.
func walkText(w client.WalkProgress) string {
	s := fmt.Sprintf("%s, %s", plural(w.Files, "file", "files"), units.FormatSize(w.Bytes))
	if w.Excluded > 0 {
		s += fmt.Sprintf(", %d excluded", w.Excluded)
	}
	if w.Unsendable > 0 {
		s += fmt.Sprintf(", %d with paths the server cannot take", w.Unsendable)
	}
	if w.EmptyDirs > 0 {
		s += fmt.Sprintf(", %s not sent", plural(w.EmptyDirs, "empty directory", "empty directories"))
	}
	return s
}

// jobSize is a job's acknowledged bytes and the bytes it has to send, as
// far as the walk found them.
func (t *tracked) jobSize() (acked, total uint64) {
	j := t.job
	acked = j.doneBytes
	var current uint64
	for _, f := range t.files {
		acked += f.AckedBytes
		current += f.Size
	}
	total = max(j.doneBytes+current, j.walk.Bytes-min(j.walk.Bytes, j.thereBytes))
	return acked, total
}

// jobHeader describes a job in its upload's header line: the part, the
// walk while it goes on, the files done and those already there.
func (u *uploadScreen) jobHeader(t *tracked) string {
	j := t.job
	acked, total := t.jobSize()
	parts := []string{fmt.Sprintf("Upload %d", t.num)}
	switch {
	case j.done && j.parts == 0 && t.state == client.StateDone:
		parts = append(parts, "nothing left to send") // every file was there already
	case j.done && j.parts > 0:
		parts = append(parts, fmt.Sprintf("part %d of %d", j.parts, j.parts))
	case j.part > 0:
		parts = append(parts, fmt.Sprintf("part %d", j.part))
	}
	if total == 0 && !j.done {
		parts = append(parts, "0%") // nothing found yet
	} else {
		parts = append(parts, percent(acked, total))
	}
	if !j.walk.Done && !j.done {
		parts = append(parts, "walking: "+walkText(j.walk)+" found")
	} else {
		sent := j.doneFiles
		for _, f := range t.files {
			if f.State == client.FileVerified {
				sent++
			}
		}
		parts = append(parts, fmt.Sprintf("%s of %s sent", count(sent), plural(max(0, j.walk.Files-j.there), "file", "files")))
	}
	if j.there > 0 {
		parts = append(parts, count(j.there)+" already there")
	}
	if u.narrow() {
		parts = parts[:min(len(parts), 3)]
	} else {
		parts = append(parts, "tags: "+tagList(t.tags))
	}
	return strings.Join(parts, " · ") + " · "
}

// rootNames are the base names a job's roots go up under.
func rootNames(roots []string) string {
	names := make([]string, len(roots))
	for i, r := range roots {
		names[i] = filepath.Base(r)
	}
	return strings.Join(names, ", ")
}

package agent

import (
	"errors"
	"slices"
	"time"

	"github.com/hoist-dev/hoist/transfer/client"
)

// Event types on the wire.
const (
	eventSession  = "session"
	eventChunk    = "chunk"
	eventProgress = "progress"
	eventJob      = "job"
	eventThere    = "already_there"
)

// WireEvent is a client.Event on the wire: Type says which, and the fields
// of that type are set. Errors travel as their text.
type WireEvent struct {
	Type string    `json:"type"`
	FID  string    `json:"fid"`
	At   time.Time `json:"at"`

	// Session and progress.
	State int `json:"state"`
	// Session.
	Attempt int       `json:"attempt,omitempty"`
	RetryAt time.Time `json:"retry_at,omitzero"`
	Err     string    `json:"err,omitempty"`

	// Chunk.
	File   int    `json:"file,omitempty"`
	Index  uint64 `json:"index,omitempty"`
	Size   int    `json:"size,omitempty"`
	Action int    `json:"action,omitempty"`
	Reason string `json:"reason,omitempty"`

	// Progress.
	Files              []WireFile `json:"files,omitempty"`
	WireBytes          uint64     `json:"wire_bytes,omitempty"`
	DroppedChunkEvents uint64     `json:"dropped_chunk_events,omitempty"`
	Rate               float64    `json:"rate,omitempty"`
	WindowBytes        int64      `json:"window_bytes,omitempty"`

	// Job and already_there: the job's id. FID (above) is the part's.
	Job string `json:"job,omitempty"`
	// Job: the client.JobEventKind, the part's number and files (part
	// started), the parts so far, the walk, the files already there, a
	// note, a skipped path and why (Path, Reason above), and Err (above)
	// on done.
	Kind         int       `json:"kind,omitempty"`
	Part         int       `json:"part,omitempty"`
	PartFiles    []File    `json:"part_files,omitempty"`
	Parts        int       `json:"parts,omitempty"`
	Walk         *WireWalk `json:"walk,omitempty"`
	AlreadyThere int       `json:"already_there,omitempty"`
	Note         string    `json:"note,omitempty"`
	// Path, and already_there: the local file; Name and Stored its path on
	// the server and where the server holds it, FileSize and SHA256 its
	// size and hash.
	Path     string `json:"path,omitempty"`
	Name     string `json:"name,omitempty"`
	Stored   string `json:"stored,omitempty"`
	FileSize uint64 `json:"file_size,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
}

// WireWalk is a client.WalkProgress on the wire.
type WireWalk struct {
	Files      int    `json:"files"`
	Bytes      uint64 `json:"bytes"`
	Dirs       int    `json:"dirs"`
	EmptyDirs  int    `json:"empty_dirs,omitempty"`
	Excluded   int    `json:"excluded,omitempty"`
	Skipped    int    `json:"skipped,omitempty"`
	Unsendable int    `json:"unsendable,omitempty"`
	Done       bool   `json:"done,omitempty"`
}

// NewWireWalk puts a walk's progress on the wire.
func NewWireWalk(w client.WalkProgress) WireWalk {
	return WireWalk{Files: w.Files, Bytes: w.Bytes, Dirs: w.Dirs, EmptyDirs: w.EmptyDirs,
		Excluded: w.Excluded, Skipped: w.Skipped, Unsendable: w.Unsendable, Done: w.Done}
}

// Progress is the walk's progress as the engine reports it.
func (w WireWalk) Progress() client.WalkProgress {
	return client.WalkProgress{Files: w.Files, Bytes: w.Bytes, Dirs: w.Dirs, EmptyDirs: w.EmptyDirs,
		Excluded: w.Excluded, Skipped: w.Skipped, Unsendable: w.Unsendable, Done: w.Done}
}

// WireFile is a client.FileProgress on the wire.
type WireFile struct {
	Index       int                 `json:"index"`
	Name        string              `json:"name"`
	Path        string              `json:"path"`
	Size        uint64              `json:"size"`
	ChunkSize   int                 `json:"chunk_size"`
	Chunks      uint64              `json:"chunks"`
	AckedChunks uint64              `json:"acked_chunks"`
	AckedBytes  uint64              `json:"acked_bytes"`
	InFlight    int                 `json:"in_flight"`
	Retries     int                 `json:"retries"`
	State       int                 `json:"state"`
	SHA256      string              `json:"sha256,omitempty"`
	Err         string              `json:"err,omitempty"`
	Map         []client.ChunkState `json:"map,omitempty"`
}

// EncodeEvent turns an engine event into its wire form.
func EncodeEvent(ev client.Event) *WireEvent {
	switch ev := ev.(type) {
	case *client.SessionEvent:
		return &WireEvent{Type: eventSession, FID: ev.FID, At: ev.At, State: int(ev.State),
			Attempt: ev.Attempt, RetryAt: ev.RetryAt, Err: errString(ev.Err)}
	case *client.ChunkEvent:
		return &WireEvent{Type: eventChunk, FID: ev.FID, At: ev.At, File: ev.File, Index: ev.Index,
			Size: ev.Size, Action: int(ev.Action), Reason: ev.Reason}
	case *client.ProgressEvent:
		w := &WireEvent{Type: eventProgress, FID: ev.FID, At: ev.At, State: int(ev.State),
			WireBytes: ev.WireBytes, DroppedChunkEvents: ev.DroppedChunkEvents, Rate: ev.Rate, WindowBytes: ev.WindowBytes}
		for _, f := range ev.Files {
			w.Files = append(w.Files, WireFile{Index: f.Index, Name: f.Name, Path: f.Path, Size: f.Size,
				ChunkSize: f.ChunkSize, Chunks: f.Chunks, AckedChunks: f.AckedChunks, AckedBytes: f.AckedBytes,
				InFlight: f.InFlight, Retries: f.Retries, State: int(f.State), SHA256: f.SHA256,
				Err: errString(f.Err), Map: f.Map})
		}
		return w
	case *client.JobEvent:
		w := &WireEvent{Type: eventJob, Job: ev.Job, FID: ev.FID, At: ev.At, Kind: int(ev.Kind), Part: ev.Part,
			Parts: ev.Parts, AlreadyThere: ev.AlreadyThere, Note: ev.Note, Path: ev.Path, Reason: ev.Reason, Err: errString(ev.Err)}
		if ev.Kind.CarriesWalk() { // the other kinds leave walk off the wire
			w.Walk = new(NewWireWalk(ev.Walk))
		}
		w.PartFiles = partFiles(ev)
		return w
	case *client.AlreadyThereEvent:
		return &WireEvent{Type: eventThere, Job: ev.Job, At: ev.At, Path: ev.Path, Name: ev.Name, Stored: ev.Stored,
			FileSize: ev.Size, SHA256: ev.SHA256}
	}
	return nil
}

// partFiles lists the files of the part a JobPartStarted event starts.
func partFiles(ev *client.JobEvent) []File {
	var out []File
	for i, f := range ev.Files {
		pf := File{Path: f.Path, Name: f.Name}
		if i < len(ev.Sizes) {
			pf.Size = ev.Sizes[i]
		}
		out = append(out, pf)
	}
	return out
}

// Decode turns a wire event back into an engine event; nil for a type this
// version does not know.
func (w *WireEvent) Decode() client.Event {
	switch w.Type {
	case eventSession:
		return &client.SessionEvent{FID: w.FID, At: w.At, State: client.State(w.State),
			Attempt: w.Attempt, RetryAt: w.RetryAt, Err: stringErr(w.Err)}
	case eventChunk:
		return &client.ChunkEvent{FID: w.FID, At: w.At, File: w.File, Index: w.Index, Size: w.Size,
			Action: client.ChunkAction(w.Action), Reason: w.Reason}
	case eventProgress:
		ev := &client.ProgressEvent{FID: w.FID, At: w.At, State: client.State(w.State), WireBytes: w.WireBytes,
			DroppedChunkEvents: w.DroppedChunkEvents, Rate: w.Rate, WindowBytes: w.WindowBytes}
		for _, f := range w.Files {
			ev.Files = append(ev.Files, client.FileProgress{Index: f.Index, Name: f.Name, Path: f.Path, Size: f.Size,
				ChunkSize: f.ChunkSize, Chunks: f.Chunks, AckedChunks: f.AckedChunks, AckedBytes: f.AckedBytes,
				InFlight: f.InFlight, Retries: f.Retries, State: client.FileState(f.State), SHA256: f.SHA256,
				Err: stringErr(f.Err), Map: f.Map})
		}
		return ev
	case eventJob:
		ev := &client.JobEvent{Job: w.Job, FID: w.FID, At: w.At, Kind: client.JobEventKind(w.Kind), Part: w.Part,
			Parts: w.Parts, AlreadyThere: w.AlreadyThere, Note: w.Note, Path: w.Path, Reason: w.Reason, Err: stringErr(w.Err)}
		if w.Walk != nil {
			ev.Walk = w.Walk.Progress()
		}
		for _, f := range w.PartFiles {
			ev.Files = append(ev.Files, client.LocalFile{Path: f.Path, Name: f.Name})
			ev.Sizes = append(ev.Sizes, f.Size)
		}
		return ev
	case eventThere:
		return &client.AlreadyThereEvent{Job: w.Job, At: w.At, Path: w.Path, Name: w.Name, Stored: w.Stored,
			Size: w.FileSize, SHA256: w.SHA256}
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func stringErr(s string) error {
	if s == "" {
		return nil
	}
	return errors.New(s)
}

// JobEnd returns the final state of a job that ended with err (nil: every
// part verified), and the error's text.
func JobEnd(err error) (state, text string) {
	switch {
	case err == nil:
		return client.StateDone.String(), ""
	case errors.Is(err, client.ErrCanceled):
		return client.StateCanceled.String(), err.Error()
	default:
		return client.StateFailed.String(), err.Error()
	}
}

// JobOf returns the job an event is about as a whole (a JobEvent or an
// AlreadyThereEvent), or "".
func JobOf(ev client.Event) string {
	switch ev := ev.(type) {
	case *client.JobEvent:
		return ev.Job
	case *client.AlreadyThereEvent:
		return ev.Job
	}
	return ""
}

// Apply folds an event of job j into what is known of it: its walk, its
// parts, the files already there, its end. Events of other jobs and of
// uploads are ignored. The agent and a UI attached to it keep their
// descriptions of a job up to date with it alike.
func (j *JobInfo) Apply(ev client.Event) {
	switch ev := ev.(type) {
	case *client.JobEvent:
		if ev.Job != j.ID {
			return
		}
		if ev.Kind.CarriesWalk() {
			j.Walk = NewWireWalk(ev.Walk) // the other kinds carry none
		}
		j.Parts = max(j.Parts, ev.Parts, ev.Part)
		j.AlreadyThere = max(j.AlreadyThere, ev.AlreadyThere)
		switch ev.Kind {
		case client.JobWalking:
			if ev.Walk.Done && j.Parts == 0 {
				j.State = JobStateChecking
			}
		case client.JobPartStarted:
			j.PartFID, j.State = ev.FID, JobStateSending
		case client.JobDone:
			j.Final = true
			j.State, j.Error = JobEnd(ev.Err)
		}
	case *client.AlreadyThereEvent:
		if ev.Job == j.ID {
			j.AlreadyThere++
			j.AlreadyThereBytes += ev.Size
		}
	}
}

// keepInLog adds ev to the job's log if it is a line a UI attaching later
// should still read (a note, a skipped path, a file already there),
// dropping the oldest beyond KeptJobLog. Only the agent keeps the log (a
// UI shows the events it receives as they come); Apply leaves it alone.
// The log's memory is only ever appended to in place: copies of the
// JobInfo taken before (snapshots being sent) never see it change.
func (j *JobInfo) keepInLog(ev client.Event) {
	if JobOf(ev) != j.ID {
		return
	}
	switch ev := ev.(type) {
	case *client.JobEvent:
		if ev.Kind != client.JobNote && ev.Kind != client.JobSkipped {
			return
		}
	case *client.AlreadyThereEvent:
	default:
		return
	}
	if len(j.Log) >= KeptJobLog {
		n := len(j.Log) - KeptJobLog + 1
		j.LogDropped += n
		j.Log = slices.Clone(j.Log[n:])
	}
	j.Log = append(j.Log, EncodeEvent(ev))
}

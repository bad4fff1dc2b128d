package agent

import (
	"errors"
	"time"

	"github.com/hoist-dev/hoist/transfer/client"
)

// Event types on the wire.
const (
	eventSession  = "session"
	eventChunk    = "chunk"
	eventProgress = "progress"
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
	}
	return nil
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

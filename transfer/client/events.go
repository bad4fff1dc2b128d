package client

import "time"

// Event is what the engine reports about an upload or a job. Consumers
// switch on the concrete type: *SessionEvent, *ChunkEvent, *ProgressEvent
// about uploads, *JobEvent and *AlreadyThereEvent about jobs (which are
// never dropped, like session events).
//
// Delivery never blocks the engine: progress snapshots are coalesced (a slow
// consumer sees the latest), chunk events are buffered up to a bound and then
// counted in ProgressEvent.DroppedChunkEvents, session events are never
// dropped.
type Event interface {
	// UploadFID is the fid of the upload the event is about.
	UploadFID() string
}

// State is the state of an upload's session with the server.
type State int

// Session states, in the order an upload normally goes through them.
const (
	StateQueued State = iota
	StateConnecting
	StateAuthenticating
	StateSending
	StateBackingOff
	StatePaused
	StateDone
	StateFailed
	StateCanceled
)

func (s State) String() string {
	return [...]string{"queued", "connecting", "authenticating", "sending", "backing off", "paused", "done", "failed", "canceled"}[s]
}

// Final reports whether the upload has ended in s.
func (s State) Final() bool { return s == StateDone || s == StateFailed || s == StateCanceled }

// SessionEvent reports a change of session state.
type SessionEvent struct {
	FID   string
	At    time.Time
	State State
	// Attempt counts connection attempts since the last progress, from 1.
	Attempt int
	// RetryAt is when the next attempt starts (StateBackingOff).
	RetryAt time.Time
	// Err is why the engine is backing off, or why the upload failed.
	Err error
}

// UploadFID implements Event.
func (e *SessionEvent) UploadFID() string { return e.FID }

// ChunkAction is what happened to one chunk.
type ChunkAction int

// Chunk actions.
const (
	// ChunkSent: a TRANSFER for the chunk was written to the connection for
	// the first time by this engine. Later writes are ChunkResent.
	ChunkSent ChunkAction = iota
	// ChunkAcked: the server answered Ok; the chunk is durable.
	ChunkAcked
	// ChunkResent: the chunk goes out again; Reason says why.
	ChunkResent
)

func (a ChunkAction) String() string {
	return [...]string{"sent", "acknowledged", "resent"}[a]
}

// ChunkEvent reports one chunk's progress.
type ChunkEvent struct {
	FID   string
	At    time.Time
	File  int
	Index uint64
	// Size is the chunk's length in bytes.
	Size   int
	Action ChunkAction
	// Reason explains a resend in words, then the detail: "checksum rejected by
	// server: ...", "no answer within 15s", "server busy: ...", "connection lost: ...".
	Reason string
}

// UploadFID implements Event.
func (e *ChunkEvent) UploadFID() string { return e.FID }

// FileState is the state of one file of an upload.
type FileState int

// File states.
const (
	FileWaiting FileState = iota
	FileSending
	FileVerifying
	FileVerified
	FileFailed
)

func (s FileState) String() string {
	return [...]string{"waiting", "sending", "verifying", "verified", "failed"}[s]
}

// ChunkState is one cell of a file's chunk map.
type ChunkState byte

// Chunk map cells. A cell that stands for several chunks shows the most
// notable state among them: resent, then in flight, then missing, then held.
const (
	ChunkMissing ChunkState = iota
	ChunkInFlight
	ChunkHeld
	ChunkRetrying
)

// MaxMapCells bounds the length of FileProgress.Map; larger files are
// summarised, several chunks a cell.
const MaxMapCells = 1024

// FileProgress is a snapshot of one file of an upload.
type FileProgress struct {
	Index       int
	Name        string
	Path        string
	Size        uint64
	ChunkSize   int
	Chunks      uint64
	AckedChunks uint64
	AckedBytes  uint64
	InFlight    int
	Retries     int
	State       FileState
	// SHA256 is the verified digest (FileVerified).
	SHA256 string
	// Stored is the path the server stored the file under, once it is
	// complete: Name, or a new unique name when Name was taken on the
	// server. Empty until then, and from servers too old to say.
	Stored string
	// Err says why the file failed (FileFailed).
	Err error
	// Map is the chunk map, at most MaxMapCells cells.
	Map []ChunkState
}

// ProgressEvent is a coalesced snapshot of an upload.
type ProgressEvent struct {
	FID   string
	At    time.Time
	State State
	Files []FileProgress
	// WireBytes counts chunk bytes written to connections, resends included.
	WireBytes uint64
	// DroppedChunkEvents counts chunk events a slow consumer missed.
	DroppedChunkEvents uint64
	// Rate is the acknowledged bytes per second over the last RateWindow,
	// as a RateMeter fed the upload's progress snapshots reckons it.
	Rate float64
	// WindowBytes is the current limit on chunk bytes in flight; the engine
	// adapts it to the measured bandwidth-delay product.
	WindowBytes int64
}

// UploadFID implements Event.
func (e *ProgressEvent) UploadFID() string { return e.FID }

package agent

import (
	"encoding/json"
	"time"
)

// Version is the version of the agent protocol this package speaks. A
// client and an agent of different versions refuse each other.
const Version = 1

// Request operations.
const (
	OpHello            = "hello"
	OpStart            = "start"
	OpPause            = "pause"
	OpResume           = "resume"
	OpCancel           = "cancel"
	OpRetryNow         = "retry_now"
	OpList             = "list"
	OpUnfinished       = "unfinished"
	OpResumeUnfinished = "resume_unfinished"
	OpSubscribe        = "subscribe"
	OpWait             = "wait"
	OpRateLimit        = "rate_limit"
	OpStartTree        = "start_tree"
)

// Settings are the connection settings an upload runs with: the server's
// address, and a document the agent passes to its engine factory
// unread (token source, chunk size, retry policy...). Uploads with equal
// settings share one engine. The agent never sends Settings back.
type Settings struct {
	Server string `json:"server"`
	// Engine is the factory's document.
	Engine json.RawMessage `json:"engine,omitempty"`
	// KeepTrying retries without a time limit (a UI that shows the
	// countdown), instead of giving up after the engine's retry budget.
	KeepTrying bool `json:"keep_trying,omitempty"`
}

// key is what tells engines apart.
func (s Settings) key() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// File is one local file of an upload.
type File struct {
	Path string `json:"path"`
	Name string `json:"name"`
	Size uint64 `json:"size,omitempty"`
}

// Request is one line from a client to the agent.
type Request struct {
	// ID is echoed in the answer; events carry none.
	ID      uint64 `json:"id"`
	Op      string `json:"op"`
	Version int    `json:"version,omitempty"`
	// FID names an upload: a full fid or a unique prefix where an
	// existing upload is meant; a new one's fid for OpStart (empty: random).
	FID      string    `json:"fid,omitempty"`
	Settings *Settings `json:"settings,omitempty"`
	Files    []File    `json:"files,omitempty"`
	Tags     []string  `json:"tags,omitempty"`
	// Tree, for OpStartTree, is the job to run.
	Tree *Tree `json:"tree,omitempty"`
	// Rate, for OpRateLimit, is the new cap in bytes per second of the
	// uploads run with Settings, all together (0: none); absent, the cap
	// is only read.
	Rate *int64 `json:"rate,omitempty"`
}

// Tree is a job: files and directories sent with their paths, in as many
// parts (uploads) as the server's files-per-upload limit needs, files the
// server already holds skipped (client.TreeSpec).
type Tree struct {
	// Paths are absolute; a trailing slash sends a directory's contents
	// only.
	Paths []string `json:"paths"`
	// Exclude are glob patterns, matched relative to each directory sent,
	// or to ExcludeWithin when it is set.
	Exclude        []string `json:"exclude,omitempty"`
	ExcludeWithin  string   `json:"exclude_within,omitempty"`
	SendAll        bool     `json:"send_all,omitempty"`
	SkipLinkedDirs bool     `json:"skip_linked_dirs,omitempty"`
	Strict         bool     `json:"strict,omitempty"`
}

// Message is one line from the agent to a client: the answer to request
// ID, or (ID 0) an upload the client has not seen yet or an event.
type Message struct {
	ID uint64 `json:"id,omitempty"`
	// Error is why the request failed; an answer without one succeeded.
	Error string `json:"error,omitempty"`
	// Hello answers OpHello.
	Hello *Hello `json:"hello,omitempty"`
	FID   string `json:"fid,omitempty"`
	// Job answers OpStartTree: the job's id.
	Job     string       `json:"job,omitempty"`
	Uploads []UploadInfo `json:"uploads,omitempty"`
	// Jobs comes with Uploads (OpList, OpSubscribe): the jobs the agent
	// ran, their parts being among the uploads.
	Jobs       []JobInfo        `json:"jobs,omitempty"`
	Unfinished []UnfinishedInfo `json:"unfinished,omitempty"`
	// Upload announces an upload to a subscriber before its events;
	// JobStarted announces a job that starts.
	Upload     *UploadInfo `json:"upload,omitempty"`
	JobStarted *JobInfo    `json:"job_started,omitempty"`
	Event      *WireEvent  `json:"event,omitempty"`
	// Rate answers OpRateLimit: the cap in force, in bytes per second.
	Rate *int64 `json:"rate,omitempty"`
}

// Hello is the agent's greeting.
type Hello struct {
	Version int `json:"version"`
	PID     int `json:"pid"`
}

// UploadInfo is what the agent says about one of its uploads.
type UploadInfo struct {
	FID     string    `json:"fid"`
	Server  string    `json:"server"`
	Tags    []string  `json:"tags,omitempty"`
	Files   []File    `json:"files"`
	Started time.Time `json:"started"`
	// Job and Part (from 1) say which job the upload is a part of, if any.
	Job  string `json:"job,omitempty"`
	Part int    `json:"part,omitempty"`
	// State is the session state's name ("sending", "done"...).
	State string `json:"state"`
	// Final reports whether the upload has ended; Error says why it did
	// not verify.
	Final      bool      `json:"final"`
	Error      string    `json:"error,omitempty"`
	AckedBytes uint64    `json:"acked_bytes"`
	TotalBytes uint64    `json:"total_bytes"`
	Rate       float64   `json:"rate"`
	Attempt    int       `json:"attempt,omitempty"`
	RetryAt    time.Time `json:"retry_at,omitzero"`
}

// JobInfo is what the agent says about one of its jobs (OpStartTree): a
// job is listed from its start, while its tree is still being walked and
// before any part has started.
type JobInfo struct {
	ID      string    `json:"id"`
	Server  string    `json:"server"`
	Paths   []string  `json:"paths"`
	Tags    []string  `json:"tags,omitempty"`
	Started time.Time `json:"started"`
	// State is "walking" until the walk is over, "checking" while the
	// server is asked which files it holds already, "sending" from the
	// first part on, and at the end "done", "failed" or "canceled".
	State string `json:"state"`
	Final bool   `json:"final"`
	Error string `json:"error,omitempty"`
	// Walk is the walk's progress: the files found so far, and whether
	// the walk is over.
	Walk WireWalk `json:"walk"`
	// Parts counts the parts started so far; AlreadyThere the files not
	// sent because the server already holds them, AlreadyThereBytes their
	// bytes.
	Parts             int    `json:"parts"`
	AlreadyThere      int    `json:"already_there"`
	AlreadyThereBytes uint64 `json:"already_there_bytes"`
	// PartFID is the latest part's fid; DoneFiles and DoneBytes count
	// what the parts before it verified.
	PartFID   string `json:"part_fid,omitempty"`
	DoneFiles int    `json:"done_files"`
	DoneBytes uint64 `json:"done_bytes"`
	// Log is what the job said that a UI attaching later should still
	// read, oldest first: its note and skipped-path events and its
	// already-there events, as the stream carries them. It keeps the last
	// KeptJobLog; LogDropped counts the older ones left out.
	Log        []*WireEvent `json:"log,omitempty"`
	LogDropped int          `json:"log_dropped,omitempty"`
}

// KeptJobLog bounds JobInfo.Log.
const KeptJobLog = 50

// Job states beyond the uploads' own.
const (
	JobStateWalking  = "walking"
	JobStateChecking = "checking"
	JobStateSending  = "sending"
)

// UnfinishedInfo is a journaled upload that can be resumed.
type UnfinishedInfo struct {
	FID     string    `json:"fid"`
	Server  string    `json:"server"`
	Tags    []string  `json:"tags,omitempty"`
	Files   []File    `json:"files"`
	Created time.Time `json:"created"`
}

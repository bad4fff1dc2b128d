package tui

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hoist-dev/hoist/transfer/client"
)

// Uploader is the part of the transfer engine the UI drives. The production
// implementation wraps *client.Engine; tests use a scripted fake.
//
// Every method may do I/O, so the UI only calls them from tea.Cmds. Events
// reports on all uploads; the UI tells them apart by fid.
type Uploader interface {
	// Start begins an upload and returns its fid, which the events carry.
	Start(u Upload) (fid string, err error)
	// Events is the engine's event stream, closed when the engine closes.
	Events() <-chan client.Event
	Pause(fid string) error
	Resume(fid string) error
	// Cancel stops an upload for good and forgets it.
	Cancel(fid string) error
	// RetryNow ends the wait of an upload that is backing off: its next
	// attempt starts at once.
	RetryNow(fid string) error
	// Unfinished lists uploads from an earlier run that can be resumed.
	Unfinished() ([]Unfinished, error)
	// ResumeUnfinished continues one of the uploads Unfinished listed.
	ResumeUnfinished(fid string) error

	// StartTree begins a job: files and directories sent with their paths,
	// in as many parts (uploads) as the server's limits need. It returns
	// the job's id, which the job's events carry (client.JobEvent,
	// client.AlreadyThereEvent); each part's events carry the part's fid.
	StartTree(t Tree) (job string, err error)
	// CancelJob stops a job for good, the part running included.
	CancelJob(job string) error

	// List calls each for every one of the user's files on the server that
	// q selects, in path order, page by page.
	List(ctx context.Context, q client.ListQuery, each func(client.RemoteFile) error) error
	// Lookup returns the user's files on the server at exactly these
	// paths (at most wire.MaxListPaths), by path.
	Lookup(ctx context.Context, paths []string) (map[string]client.RemoteFile, error)
	// Remove deletes the user's files at these stored paths and returns
	// the paths removed.
	Remove(ctx context.Context, paths []string) ([]string, error)

	// SetRateLimit caps the bytes sent per second, all uploads together;
	// 0 lifts the cap. It takes effect at once.
	SetRateLimit(bytesPerSecond int64) error
	// RateLimit is the cap SetRateLimit set (0: none).
	RateLimit() int64
}

// Tree is a job as the UI starts it: directories sent as their base name
// with everything below them, and loose files sent as their base name.
type Tree struct {
	Paths   []string
	Tags    []string
	Exclude client.Excludes
}

// Upload is one upload as the UI queues it: files that travel together with
// the same tags, under one fid.
type Upload struct {
	FID   uuid.UUID
	Files []File
	Tags  []string
	// Roots, when set, make the upload a job (Uploader.StartTree): these
	// directories and files go up with their paths, and Files only says
	// what the selection held.
	Roots []string
	// Job, for an upload an agent describes (Describe), is the job it is a
	// part of, if any.
	Job string
	// skipHidden leaves hidden entries out of the roots, as the
	// selection did.
	skipHidden bool
	// rootSums count the selected files under each root, for Review.
	rootSums []rootSum
}

// rootSum counts the selected files under one root of a tree.
type rootSum struct {
	path  string
	files int
	bytes uint64
}

// Size is the sum of the sizes of the upload's files.
func (u Upload) Size() uint64 {
	var n uint64
	for _, f := range u.Files {
		n += f.Size
	}
	return n
}

// File is one local file of an upload.
type File struct {
	// Path is the absolute local path.
	Path string
	// Name is the name the server stores the file under: a single path
	// element.
	Name string
	Size uint64
}

// Unfinished is an upload an earlier run left unfinished.
type Unfinished struct {
	FID    string
	Server string
	Files  []File
	Tags   []string
	// Started is when the upload was first started; zero if unknown.
	Started time.Time
}

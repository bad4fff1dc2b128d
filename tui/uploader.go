package tui

import (
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
}

// Upload is one upload as the UI queues it: files that travel together with
// the same tags, under one fid.
type Upload struct {
	FID   uuid.UUID
	Files []File
	Tags  []string
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

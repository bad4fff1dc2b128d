package server

import (
	"context"
	"errors"
	"time"
)

// Observer receives what the server does, for metrics. The server calls it
// at a few fixed points, from many goroutines at once; each call must be
// cheap and must not block. nil Options.Observer means none. Labels passed
// are from small fixed sets (wire codes, refusal reasons), never user
// names or fids. internal/metrics implements it with Prometheus.
type Observer interface {
	// ConnectionOpened and ConnectionClosed bracket every session.
	ConnectionOpened()
	ConnectionClosed()
	// ConnectionRefused reports a connection turned away before a session
	// started or before it authenticated: RefusedMaxConnections,
	// RefusedShuttingDown or RefusedMemory.
	ConnectionRefused(reason string)
	// Authenticated reports the outcome of an AUTHENTICATION: "ok" or the
	// wire code it was refused with.
	Authenticated(code string)
	// UploadCompleted reports that the last file of an upload completed;
	// UploadExpired that an unfinished upload was forgotten.
	UploadCompleted()
	UploadExpired()
	// ChunkReceived reports a TRANSFER that decoded, with its data length.
	ChunkReceived(bytes int)
	// Responded reports an answer about to be written to a client: "ok"
	// or its wire code. For the Ok to a chunk, chunkBytes is the chunk's length and
	// arrived when its frame was read; otherwise chunkBytes is -1.
	Responded(code string, chunkBytes int, arrived time.Time)
	// CommitRound reports one group commit: how long the data sync took
	// and how long the whole round took.
	CommitRound(sync, total time.Duration)
}

// Reasons passed to Observer.ConnectionRefused.
const (
	RefusedMaxConnections = "max_connections"
	RefusedShuttingDown   = "shutting_down"
	RefusedMemory         = "memory"
)

// responseOK is the code Observer methods receive for an Ok.
const responseOK = "ok"

// Pinger is implemented by a storage backend that can check cheaply that
// it is reachable (a read transaction, a ping); Ready uses it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// ErrShuttingDown is returned by Ready once Shutdown has begun.
var ErrShuttingDown = errors.New("server is shutting down")

// Ready reports whether the server can take uploads: nil unless Shutdown
// has begun (ErrShuttingDown) or a storage backend that can be pinged
// fails to answer.
func (s *Server) Ready(ctx context.Context) error {
	if s.isClosing() {
		return ErrShuttingDown
	}
	for _, c := range s.st.components() {
		if p, ok := c.(Pinger); ok {
			if err := p.Ping(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// Usage returns, summed over all users, the bytes of completed files and
// the bytes that unfinished uploads reserve against quotas, if the upload
// store can tell (ok false otherwise).
func (s *Server) Usage(ctx context.Context) (completed, reserved int64, ok bool, err error) {
	t, ok := s.st.Uploads.(interface {
		TotalUsage(ctx context.Context) (completed, reserved int64, err error)
	})
	if !ok {
		return 0, 0, false, nil
	}
	completed, reserved, err = t.TotalUsage(ctx)
	return completed, reserved, true, err
}

// nopObserver is used when Options.Observer is nil.
type nopObserver struct{}

func (nopObserver) ConnectionOpened()                {}
func (nopObserver) ConnectionClosed()                {}
func (nopObserver) ConnectionRefused(string)         {}
func (nopObserver) Authenticated(string)             {}
func (nopObserver) UploadCompleted()                 {}
func (nopObserver) UploadExpired()                   {}
func (nopObserver) ChunkReceived(int)                {}
func (nopObserver) Responded(string, int, time.Time) {}
func (nopObserver) CommitRound(_, _ time.Duration)   {}

// ActiveUploads is the number of uploads that sessions are attached to now.
func (s *Server) ActiveUploads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, u := range s.uploads {
		if u.loading == nil {
			n++
		}
	}
	return n
}

// observeReply tells the observer about an answer the writer sent.
func (s *session) observeReply(r *reply) {
	code, chunkBytes := responseOK, -1
	switch {
	case r.err != nil:
		code = string(r.err.Code)
	case r.full != nil && !r.full.OK():
		code = string(r.full.Code)
	case r.chunk:
		chunkBytes = r.chunkBytes
	}
	s.srv.obs.Responded(code, chunkBytes, r.arrived)
}

// Session outcomes in the summary line.
const (
	outcomeComplete   = "complete"   // every file of the upload is stored
	outcomeIncomplete = "incomplete" // the upload has files still missing chunks
	outcomeRefused    = "refused"    // no upload: its AUTHENTICATION was refused
	outcomeNoUpload   = "no_upload"  // no upload: none was asked for
)

// logSummary writes the one line that sums a session up: who, from where,
// which upload, how much, how long and how it ended. The user and fid are
// already in s.log once the session authenticated.
func (s *session) logSummary(reason string, d time.Duration) {
	outcome := outcomeNoUpload
	attrs := []any{"reason", reason, "duration", d.Round(time.Millisecond),
		"chunks", s.chunks.Load(), "bytes", s.bytes.Load()}
	if u := s.up; u != nil {
		done := 0
		u.mu.Lock()
		for _, fs := range u.files {
			if fs.done != nil {
				done++
			}
		}
		u.mu.Unlock()
		outcome = outcomeIncomplete
		if done == len(u.files) {
			outcome = outcomeComplete
		}
		attrs = append(attrs, "files", len(u.files), "files_complete", done)
	} else if s.refusedCode != "" {
		outcome = outcomeRefused
		attrs = append(attrs, "code", s.refusedCode)
	}
	s.log.Info("session ended", append(attrs, "outcome", outcome)...)
}

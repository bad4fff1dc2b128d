package client

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"
)

// recorder consumes an engine's events, checks on the fly that every
// sequence is consistent, and lets a test wait for conditions on what it
// has seen. It stops when the engine closes the channel.
type recorder struct {
	t    *testing.T
	done chan struct{}

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every event
	events  []Event
	bad     []string
	uploads map[string]*uploadLog
}

// uploadLog is what the recorder knows about one upload.
type uploadLog struct {
	states     []State
	sessions   []*SessionEvent
	last       *ProgressEvent
	acked      map[chunkRef]int // acknowledgements per chunk
	sent       map[chunkRef]int // ChunkSent per chunk
	resent     map[chunkRef]int
	reasons    []string // resend reasons
	final      bool
	wireBytes  uint64
	ackedBytes []uint64 // per file, from progress
}

func record(t *testing.T, e *Engine) *recorder {
	r := &recorder{t: t, done: make(chan struct{}), changed: make(chan struct{}), uploads: map[string]*uploadLog{}}
	go func() {
		defer close(r.done)
		for ev := range e.Events() {
			r.add(ev)
		}
	}()
	t.Cleanup(func() {
		e.Close()
		<-r.done
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, b := range r.bad {
			t.Error("inconsistent events: " + b)
		}
	})
	return r
}

func (r *recorder) add(ev Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	u := r.uploads[ev.UploadFID()]
	if u == nil {
		u = &uploadLog{acked: map[chunkRef]int{}, sent: map[chunkRef]int{}, resent: map[chunkRef]int{}}
		r.uploads[ev.UploadFID()] = u
	}
	badf := func(format string, args ...any) {
		r.bad = append(r.bad, fmt.Sprintf("%s: ", ev.UploadFID())+fmt.Sprintf(format, args...))
	}
	if u.final {
		badf("event %T after the final state %v", ev, u.states[len(u.states)-1])
	}
	switch ev := ev.(type) {
	case *SessionEvent:
		if len(u.states) == 0 && ev.State != StateQueued {
			badf("first state %v, want queued", ev.State)
		}
		if ev.State == StateBackingOff && (ev.Err == nil || ev.RetryAt.IsZero() || ev.Attempt < 2) {
			badf("backing off without error, retry time or attempt: %+v", ev)
		}
		if ev.State == StateFailed && ev.Err == nil {
			badf("failed without a reason")
		}
		u.states = append(u.states, ev.State)
		u.sessions = append(u.sessions, ev)
		u.final = ev.State.Final()
		if ev.State == StateDone {
			r.checkDone(u, badf)
		}
	case *ChunkEvent:
		ref := chunkRef{ev.File, ev.Index}
		switch ev.Action {
		case ChunkSent:
			u.sent[ref]++
			if u.sent[ref] > 1 {
				badf("chunk %v sent (not resent) twice", ref)
			}
		case ChunkResent:
			u.resent[ref]++
			u.reasons = append(u.reasons, ev.Reason)
			if ev.Reason == "" {
				badf("chunk %v resent without a reason", ref)
			}
		case ChunkAcked:
			u.acked[ref]++
			if u.acked[ref] > 1 {
				badf("chunk %v acknowledged twice", ref)
			}
		}
	case *ProgressEvent:
		if ev.WireBytes < u.wireBytes {
			badf("wire bytes went back from %d to %d", u.wireBytes, ev.WireBytes)
		}
		u.wireBytes = ev.WireBytes
		if u.ackedBytes == nil {
			u.ackedBytes = make([]uint64, len(ev.Files))
		}
		for i, f := range ev.Files {
			if f.AckedBytes > f.Size {
				badf("file %d: %d bytes acknowledged of %d", i, f.AckedBytes, f.Size)
			}
			if f.AckedBytes < u.ackedBytes[i] {
				badf("file %d: acknowledged bytes went back from %d to %d", i, u.ackedBytes[i], f.AckedBytes)
			}
			if f.AckedChunks > f.Chunks || len(f.Map) > MaxMapCells {
				badf("file %d: %d of %d chunks, map of %d cells", i, f.AckedChunks, f.Chunks, len(f.Map))
			}
			if f.State == FileVerified && (f.AckedBytes != f.Size || len(f.SHA256) != 64) {
				badf("file %d verified with %d of %d bytes, sha256 %q", i, f.AckedBytes, f.Size, f.SHA256)
			}
			u.ackedBytes[i] = f.AckedBytes
		}
		u.last = ev
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// checkDone: a done upload's last snapshot shows every file verified.
func (r *recorder) checkDone(u *uploadLog, badf func(string, ...any)) {
	if u.last == nil {
		badf("done without a progress snapshot")
		return
	}
	for i, f := range u.last.Files {
		if f.State != FileVerified || f.AckedBytes != f.Size {
			badf("done, but file %d is %v with %d of %d bytes", i, f.State, f.AckedBytes, f.Size)
		}
	}
}

// waitFor waits until cond holds for the upload fid (checked after every
// event) or fails the test after timeout.
func (r *recorder) waitFor(fid, what string, timeout time.Duration, cond func(u *uploadLog) bool) {
	r.t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		u := r.uploads[fid]
		ok := u != nil && cond(u)
		changed := r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			r.t.Fatalf("timed out after %v waiting for %s; states %v", timeout, what, r.states(fid))
		case <-r.done:
			r.t.Fatalf("events ended while waiting for %s; states %v", what, r.states(fid))
		}
	}
}

// log returns a consistent view of one upload's record.
func (r *recorder) log(fid string) uploadLog {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.uploads[fid]
	if u == nil {
		return uploadLog{}
	}
	c := *u
	c.states = slices.Clone(u.states)
	c.sessions = slices.Clone(u.sessions)
	c.acked, c.sent, c.resent = maps.Clone(u.acked), maps.Clone(u.sent), maps.Clone(u.resent)
	c.reasons = slices.Clone(u.reasons)
	c.ackedBytes = slices.Clone(u.ackedBytes)
	return c
}

func (r *recorder) states(fid string) []State {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u := r.uploads[fid]; u != nil {
		return append([]State(nil), u.states...)
	}
	return nil
}

// acked is the acknowledged bytes of the upload in its latest snapshot.
func (u *uploadLog) ackedTotal() uint64 {
	var n uint64
	for _, b := range u.ackedBytes {
		n += b
	}
	return n
}

// count is how many times the upload entered state s.
func (u *uploadLog) count(s State) int {
	n := 0
	for _, st := range u.states {
		if st == s {
			n++
		}
	}
	return n
}

// eventsOf returns the events of upload fid received so far, in order.
func (r *recorder) eventsOf(fid string) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, ev := range r.events {
		if ev.UploadFID() == fid {
			out = append(out, ev)
		}
	}
	return out
}

// waitUntil polls cond until it holds, failing the test after 30 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

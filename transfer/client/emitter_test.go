package client

import (
	"testing"
	"time"
)

func TestEmitterNeverBlocksAndKeepsSessionEvents(t *testing.T) {
	t.Parallel()
	e := newEmitter()
	defer e.close()
	const n = 3 * maxQueuedChunkEvents
	// Nobody reads while all of this is produced: none of it may block.
	for i := range n {
		e.chunk(&ChunkEvent{FID: "a", Index: uint64(i)})
		if i%1000 == 0 {
			e.session(&SessionEvent{FID: "a", State: StateSending, Attempt: i})
		}
		e.progress(&ProgressEvent{FID: "a", WireBytes: uint64(i)})
	}
	e.session(&SessionEvent{FID: "a", State: StateDone})

	var chunks, sessions, progress int
	var last *ProgressEvent
	var lastIndex uint64
	deadline := time.After(30 * time.Second)
	for {
		var ev Event
		select {
		case ev = <-e.out:
		case <-deadline:
			t.Fatalf("no final session event within 30s: got %d chunk, %d session, %d progress events", chunks, sessions, progress)
		}
		switch ev := ev.(type) {
		case *ChunkEvent:
			if chunks > 0 && ev.Index <= lastIndex {
				t.Fatalf("chunk events out of order: %d after %d", ev.Index, lastIndex)
			}
			lastIndex = ev.Index
			chunks++
		case *SessionEvent:
			sessions++
			if ev.State == StateDone {
				// A snapshot merges into the queued one unless another event
				// of the upload came between them: at most one snapshot per
				// received chunk or session event, plus the latest.
				if progress > chunks+sessions+1 || progress >= n/2 || last.WireBytes != n-1 {
					t.Fatalf("got %d snapshots for %d chunk and %d session events, last %+v; want them merged, the latest last",
						progress, chunks, sessions, last)
				}
				// The delivery goroutine may hold one event outside the queue.
				if chunks+int(last.DroppedChunkEvents) != n || chunks > maxQueuedChunkEvents+1 {
					t.Fatalf("received %d chunk events, %d dropped; want %d in all, at most %d received",
						chunks, last.DroppedChunkEvents, n, maxQueuedChunkEvents+1)
				}
				if sessions != (n+999)/1000+1 {
					t.Fatalf("got %d session events, want %d", sessions, (n+999)/1000+1)
				}
				return
			}
		case *ProgressEvent:
			progress++
			last = ev
		}
	}
}

func TestEmitterCloseWithoutConsumer(t *testing.T) {
	t.Parallel()
	e := newEmitter()
	e.session(&SessionEvent{FID: "a"})
	e.close()
	if _, ok := <-e.out; ok {
		t.Fatal("channel still open after close")
	}
	e.close() // idempotent
}

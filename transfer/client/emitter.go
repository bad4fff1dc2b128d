package client

import "sync"

// maxQueuedChunkEvents bounds the chunk events waiting for the consumer;
// beyond it they are dropped and counted.
const maxQueuedChunkEvents = 8192

// emitter delivers events to one consumer channel without ever blocking the
// producers. It queues session events without bound (they are few), chunk
// events up to maxQueuedChunkEvents (then counts drops per upload), and at
// at most one replaceable progress snapshot per upload: a newer snapshot
// replaces the queued one in place, so a slow consumer sees the latest, as
// long as no other event of that upload was queued after it (replacing it
// then would put a later snapshot before an earlier event; the queued one
// stays and the newer one queues behind). Order is preserved: an event
// enqueued after another is received after it, so each upload's events come
// in the order they happened.
type emitter struct {
	out  chan Event
	wake chan struct{}
	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex
	queue    []Event
	pending  map[string]*ProgressEvent // replaceable queued snapshot per upload
	last     map[string]Event          // the upload's most recently queued event
	chunks   int                       // chunk events in queue
	dropped  map[string]uint64         // chunk events dropped per upload
	stopOnce sync.Once
}

func newEmitter() *emitter {
	e := &emitter{
		out:     make(chan Event),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		pending: make(map[string]*ProgressEvent),
		last:    make(map[string]Event),
		dropped: make(map[string]uint64),
	}
	go e.run()
	return e
}

// session enqueues a session event; it is never dropped.
func (e *emitter) session(ev *SessionEvent) { e.push(ev) }

// chunk enqueues a chunk event, or counts it as dropped when the consumer is
// too far behind.
func (e *emitter) chunk(ev *ChunkEvent) {
	e.mu.Lock()
	if e.chunks >= maxQueuedChunkEvents {
		e.dropped[ev.FID]++
		e.mu.Unlock()
		return
	}
	e.chunks++
	e.enqueue(ev)
	e.mu.Unlock()
	e.signal()
}

// progress enqueues a snapshot, replacing the upload's queued one if any.
func (e *emitter) progress(ev *ProgressEvent) {
	e.mu.Lock()
	if p := e.pending[ev.FID]; p != nil && e.last[ev.FID] == Event(p) {
		*p = *ev
		e.mu.Unlock()
		return
	}
	e.pending[ev.FID] = ev
	e.enqueue(ev)
	e.mu.Unlock()
	e.signal()
}

func (e *emitter) push(ev Event) {
	e.mu.Lock()
	e.enqueue(ev)
	e.mu.Unlock()
	e.signal()
}

// enqueue appends ev to the queue; e.mu is held.
func (e *emitter) enqueue(ev Event) {
	e.queue = append(e.queue, ev)
	e.last[ev.UploadFID()] = ev
}

func (e *emitter) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// pop takes the oldest event, or nil.
func (e *emitter) pop() Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.queue) == 0 {
		return nil
	}
	ev := e.queue[0]
	e.queue[0] = nil
	e.queue = e.queue[1:]
	if len(e.queue) == 0 {
		e.queue = e.queue[:0:0] // let the backing array go
	}
	switch ev := ev.(type) {
	case *ChunkEvent:
		e.chunks--
	case *ProgressEvent:
		if e.pending[ev.FID] == ev {
			delete(e.pending, ev.FID)
		}
		ev.DroppedChunkEvents = e.dropped[ev.FID]
	}
	if e.last[ev.UploadFID()] == ev {
		delete(e.last, ev.UploadFID())
	}
	return ev
}

func (e *emitter) run() {
	defer close(e.done)
	defer close(e.out)
	for {
		ev := e.pop()
		if ev == nil {
			select {
			case <-e.wake:
				continue
			case <-e.stop:
				return
			}
		}
		select {
		case e.out <- ev:
		case <-e.stop:
			return
		}
	}
}

// close stops delivery, discards what the consumer has not received and
// closes the channel.
func (e *emitter) close() {
	e.stopOnce.Do(func() { close(e.stop) })
	<-e.done
}

package chaos

import (
	"context"
	"time"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// The reasons sent with injected errors, so that a user reading them knows the
// server failed on purpose (and a test can tell injected faults apart).
const (
	ReasonAuthBusy = "chaos: refusing this authentication on purpose, try again shortly"
	ReasonBusy     = "chaos: pretending to be busy, reconnect shortly"
	ReasonCorrupt  = "chaos: pretending the chunk arrived damaged, nothing stored, resend it"
)

// chunkKey names one chunk of an upload's files.
type chunkKey struct {
	file  int
	index uint64
}

// Authenticate is consulted on every AUTHENTICATION before it is processed. A
// non-nil result, a *wire.Error with code busy, is the answer to send instead.
func (c *Conn) Authenticate() error {
	c.mu.Lock()
	roll := c.authRoll.Float64()
	fire := roll < c.faults.spec.AuthBusy && c.mayEnd()
	if fire {
		c.ending = true
	}
	c.mu.Unlock()
	if !fire {
		return nil
	}
	c.faults.injected(AuthBusy, c.id)
	return &wire.Error{Code: wire.CodeBusy, Reason: ReasonAuthBusy}
}

// BeforeStore is consulted for every TRANSFER before its chunk is stored,
// with the chunk's file and index. A non-nil result, a *wire.Error with code
// busy or corrupt, is the answer to send instead, and the chunk must not be
// stored.
func (c *Conn) BeforeStore(file int, index uint64) error {
	key := chunkKey{file, index}
	spec := &c.faults.spec
	c.mu.Lock()
	roll := c.storeRoll.Float64()
	// The client resending a chunk answered corrupt proves it read that answer.
	delete(c.outstanding, key)
	kind := Kind(-1)
	switch {
	case roll < spec.Busy:
		if c.mayEnd() {
			kind, c.ending = Busy, true
		}
	case roll < spec.Busy+spec.Corrupt:
		if !c.ending {
			kind = Corrupt
			c.outstanding[key] = struct{}{}
		}
	}
	c.mu.Unlock()
	switch kind {
	case Busy:
		c.faults.injected(Busy, c.id, "file", file, "chunk", index)
		return &wire.Error{Code: wire.CodeBusy, Reason: ReasonBusy}
	case Corrupt:
		c.faults.injected(Corrupt, c.id, "file", file, "chunk", index)
		return &wire.Error{Code: wire.CodeCorrupt, Reason: ReasonCorrupt}
	}
	return nil
}

// BeforeAck is called once a chunk is durable, before its Ok is sent. It may
// hold the Ok back for the spec's delay; it returns early when ctx is done or
// the connection closes. The chunk is already safe either way.
func (c *Conn) BeforeAck(ctx context.Context) {
	c.mu.Lock()
	roll := c.ackRoll.Float64()
	c.mu.Unlock()
	if roll >= c.faults.spec.Delay {
		return
	}
	c.faults.injected(Delay, c.id)
	t := time.NewTimer(c.faults.spec.DelayFor)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-c.closed:
	}
}

// mayEnd reports whether a fault that ends the connection (auth-busy, busy,
// drop, stall) may be injected now: none has been yet, and every corrupt
// answer has been seen by the client, so that no counted fault is lost with
// the connection. c.mu must be held.
func (c *Conn) mayEnd() bool {
	return !c.ending && len(c.outstanding) == 0
}

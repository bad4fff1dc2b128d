package chaos

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
)

// Faults injects the faults of one Spec into every connection of a server and
// counts them. Create it with New; it is safe for concurrent use.
//
// Decisions are seeded: connection n (counted from 1 in the order Wrap is
// called) draws from its own streams derived from the seed and n, one stream
// per decision point (AUTHENTICATIONs, TRANSFERs before storing, TRANSFER
// frames on the wire, acknowledgements). So with the same seed, the k-th
// TRANSFER on the n-th connection meets the same roll of the dice every run.
type Faults struct {
	spec   Spec
	log    *slog.Logger
	conns  atomic.Uint64
	counts [len(kindNamesList)]atomic.Uint64
}

// New returns Faults for spec and logs, loudly, that chaos is on. A spec
// without a seed gets a random one, logged so that the run can be repeated.
// log nil means slog.Default().
func New(spec Spec, log *slog.Logger) *Faults {
	if log == nil {
		log = slog.Default()
	}
	if !spec.Seeded {
		spec.Seed, spec.Seeded = rand.Uint64(), true
	}
	f := &Faults{spec: spec, log: log}
	log.Warn("CHAOS MODE: this server fails on purpose, a testing aid never meant for real data: " + spec.String())
	return f
}

// Spec returns the spec in force, with its seed.
func (f *Faults) Spec() Spec { return f.spec }

// Counts returns how many faults of each kind have been injected so far.
func (f *Faults) Counts() Counts {
	var c Counts
	c.AuthBusy = f.counts[AuthBusy].Load()
	c.Busy = f.counts[Busy].Load()
	c.Corrupt = f.counts[Corrupt].Load()
	c.Drop = f.counts[Drop].Load()
	c.Stall = f.counts[Stall].Load()
	c.Delay = f.counts[Delay].Load()
	return c
}

// Wrap returns rw wrapped for chaos: the connection's own fault decisions,
// and a byte stream that may be cut or stalled. The server reads and writes
// through the returned *Conn and consults it on every message. When rw is a
// net.Conn, its addresses and deadlines show through.
func (f *Faults) Wrap(rw io.ReadWriteCloser) *Conn {
	id := f.conns.Add(1)
	stream := func(point uint64) *rand.Rand {
		return rand.New(rand.NewPCG(f.spec.Seed, id<<2|point))
	}
	return &Conn{
		rw:          rw,
		faults:      f,
		id:          id,
		closed:      make(chan struct{}),
		deadlineSet: make(chan struct{}, 1),
		authRoll:    stream(0),
		storeRoll:   stream(1),
		frameRoll:   stream(2),
		ackRoll:     stream(3),
		outstanding: make(map[chunkKey]struct{}),
	}
}

// injected counts one fault and logs it at debug level.
func (f *Faults) injected(k Kind, conn uint64, attrs ...any) {
	f.counts[k].Add(1)
	f.log.Debug("chaos: injected a fault", append([]any{"kind", k.String(), "conn", conn}, attrs...)...)
}

package chaos

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"

	"github.com/hoist-dev/hoist/transfer/wire"
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
	for _, k := range kinds {
		*c.count(k) = f.counts[k].Load()
	}
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

// The methods below plug Faults into the server's seam (server.Faults): the
// server serves the connection WrapConn returns and hands it back with every
// message. Connections that Faults did not wrap get no faults.

// WrapConn wraps a connection before the server serves it; see Wrap.
func (f *Faults) WrapConn(conn io.ReadWriteCloser) io.ReadWriteCloser { return f.Wrap(conn) }

// Authenticate is consulted on every AUTHENTICATION on conn; see
// Conn.Authenticate.
func (f *Faults) Authenticate(conn io.ReadWriteCloser, _ *wire.Authentication) error {
	if c, ok := conn.(*Conn); ok {
		return c.Authenticate()
	}
	return nil
}

// Chunk is consulted for every TRANSFER on conn before its chunk is stored;
// see Conn.BeforeStore.
func (f *Faults) Chunk(conn io.ReadWriteCloser, t *wire.Transfer) error {
	if c, ok := conn.(*Conn); ok {
		return c.BeforeStore(t.File, t.Index)
	}
	return nil
}

// Ack is called before the Ok to a durable TRANSFER goes out on conn; see
// Conn.BeforeAck.
func (f *Faults) Ack(ctx context.Context, conn io.ReadWriteCloser, _ int, _ uint64) {
	if c, ok := conn.(*Conn); ok {
		c.BeforeAck(ctx)
	}
}

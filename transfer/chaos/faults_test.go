package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// The tests below run a small upload, one chunk at a time, between a client
// and a toy server that consults Faults exactly where the real server does,
// over real loopback connections. The client resends a chunk answered corrupt
// only a few chunks later, so that faults have the chance to overlap.

const scenarioSpec = "auth-busy=0.3,busy=0.03,corrupt=0.15,drop=0.03,stall=0.02:1ms,delay=0.05:1ms"

// toyServer stores chunks in memory, consulting each connection's Conn.
type toyServer struct {
	mu     sync.Mutex
	chunks map[uint64][]byte
	wg     sync.WaitGroup
}

func (s *toyServer) serve(t *testing.T, cc *Conn) {
	defer cc.Close()
	r, w := wire.NewReader(cc), wire.NewWriter(cc)
	var tr wire.Transfer
	for {
		fr, err := r.ReadFrame()
		if err != nil {
			return
		}
		var id string
		var answer error
		switch fr.Type {
		case wire.TypeAuthentication:
			a, err := wire.DecodeAuthentication(fr.Payload)
			if err != nil {
				t.Errorf("toy server: %v", err)
				return
			}
			id, answer = a.MessageID, cc.Authenticate()
		case wire.TypeTransfer:
			if err := wire.DecodeTransfer(fr.Payload, &tr); err != nil {
				t.Errorf("toy server: %v", err)
				return
			}
			id, answer = tr.MessageID, cc.BeforeStore(tr.File, tr.Index)
			if answer == nil {
				s.mu.Lock()
				s.chunks[tr.Index] = bytes.Clone(tr.Data)
				s.mu.Unlock()
				cc.BeforeAck(context.Background())
			}
		}
		resp := wire.OKResponse(id)
		if answer != nil {
			resp = wire.ErrorResponse(id, answer)
		}
		payload, _ := wire.EncodeJSON(resp)
		if w.WriteFrame(wire.TypeResponse, payload) != nil || w.Flush() != nil {
			return
		}
	}
}

// tally is what the client saw.
type tally struct {
	authBusy, busy, corrupt, lost, oks int
	trace                              []string
}

// upload sends chunks 0..n-1 of 1000 bytes each, reconnecting as needed, and
// returns what the client saw and what the server stored.
func upload(t *testing.T, f *Faults, n int) (tally, map[uint64][]byte) {
	srv := &toyServer{chunks: make(map[uint64][]byte)}
	defer srv.wg.Wait()
	data := func(i uint64) []byte { return bytes.Repeat([]byte{byte(i)}, 1000) }
	var tl tally
	queue := make([]uint64, n)
	for i := range queue {
		queue[i] = uint64(i)
	}
	for attempt := 0; len(queue) > 0; attempt++ {
		if attempt == 10*n {
			t.Fatalf("upload not done after %d connections: %v", attempt, f.Counts())
		}
		client, server := pair(t)
		cc := f.Wrap(server)
		srv.wg.Go(func() { srv.serve(t, cc) })
		queue = session(t, client, queue, data, &tl)
		client.Close()
	}
	return tl, srv.chunks
}

// session runs one connection: authenticate, then send the queue one chunk
// at a time. It returns the chunks still to send.
func session(t *testing.T, conn net.Conn, queue []uint64, data func(uint64) []byte, tl *tally) []uint64 {
	conn.SetDeadline(time.Now().Add(time.Minute))
	r, w := wire.NewReader(conn), wire.NewWriter(conn)
	ask := func(typ wire.UserType, payload []byte) (*wire.Response, error) {
		if err := w.WriteFrame(typ, payload); err != nil {
			return nil, err
		}
		if err := w.Flush(); err != nil {
			return nil, err
		}
		fr, err := r.ReadFrame()
		if err != nil {
			return nil, err
		}
		return wire.DecodeResponse(fr.Payload)
	}
	auth, _ := wire.EncodeJSON(&wire.Authentication{MessageID: "auth"})
	resp, err := ask(wire.TypeAuthentication, auth)
	switch {
	case err != nil:
		t.Fatalf("authentication: %v", err)
	case errors.Is(resp.Err(), wire.ErrBusy):
		tl.authBusy++
		tl.trace = append(tl.trace, "auth busy")
		return queue
	}
	unresent := make(map[uint64]bool) // answered corrupt here, not yet resent
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		delete(unresent, i)
		payload := wire.AppendTransfer(nil, &wire.Transfer{MessageID: fmt.Sprint(i), Index: i, Data: data(i)})
		resp, err := ask(wire.TypeTransfer, payload)
		ending := ""
		switch {
		case err != nil:
			tl.lost++
			ending = fmt.Sprintf("chunk %d lost", i)
		case errors.Is(resp.Err(), wire.ErrBusy):
			tl.busy++
			ending = fmt.Sprintf("chunk %d busy", i)
		case errors.Is(resp.Err(), wire.ErrCorrupt):
			tl.corrupt++
			tl.trace = append(tl.trace, fmt.Sprintf("chunk %d corrupt", i))
			unresent[i] = true
			queue = slices.Insert(queue, min(3, len(queue)), i)
			continue
		case resp.OK():
			tl.oks++
			continue
		default:
			t.Fatalf("chunk %d: unexpected answer %v", i, resp.Err())
		}
		tl.trace = append(tl.trace, ending)
		if len(unresent) > 0 {
			t.Errorf("%s while chunks %v, answered corrupt, were not resent yet: the connection ended over a counted fault", ending, unresent)
		}
		return append([]uint64{i}, queue...)
	}
	return queue
}

func TestCountsMatchWhatTheClientSees(t *testing.T) {
	t.Parallel()
	f := New(MustParse(scenarioSpec+",seed=1"), quiet)
	tl, stored := upload(t, f, 300)
	c := f.Counts()
	t.Logf("injected %v; client saw %d auth busy, %d busy, %d corrupt, %d lost connections, %d oks",
		c, tl.authBusy, tl.busy, tl.corrupt, tl.lost, tl.oks)
	for _, k := range kinds {
		if c.Of(k) == 0 {
			t.Errorf("no %s fault was injected: the scenario does not exercise it", k)
		}
	}
	if int(c.AuthBusy) != tl.authBusy || int(c.Busy) != tl.busy || int(c.Corrupt) != tl.corrupt || int(c.Drop+c.Stall) != tl.lost {
		t.Errorf("server counted %v, client saw auth-busy=%d busy=%d corrupt=%d drop+stall=%d",
			c, tl.authBusy, tl.busy, tl.corrupt, tl.lost)
	}
	if int(c.Delay) > tl.oks {
		t.Errorf("%d delays for %d oks", c.Delay, tl.oks)
	}
	if len(stored) != 300 {
		t.Fatalf("server holds %d chunks, want 300", len(stored))
	}
	for i, d := range stored {
		if !bytes.Equal(d, bytes.Repeat([]byte{byte(i)}, 1000)) {
			t.Fatalf("chunk %d stored wrong", i)
		}
	}
}

func TestSameSeedSameRun(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) ([]string, Counts) {
		f := New(MustParse(fmt.Sprintf("%s,seed=%d", scenarioSpec, seed)), quiet)
		tl, _ := upload(t, f, 150)
		return tl.trace, f.Counts()
	}
	trace1, counts1 := run(7)
	trace2, counts2 := run(7)
	if !slices.Equal(trace1, trace2) || counts1 != counts2 {
		t.Fatalf("seed 7 twice gave different runs:\n%v %v\n%v %v", counts1, trace1, counts2, trace2)
	}
	trace3, _ := run(8)
	if slices.Equal(trace1, trace3) {
		t.Fatalf("seeds 7 and 8 gave the same run: %v", trace1)
	}
}

// TestRatesHold checks that each decision point fires at about its rate, over
// many rolls with a fixed seed.
func TestRatesHold(t *testing.T) {
	t.Parallel()
	spec := MustParse("auth-busy=0.2,busy=0.1,corrupt=0.3,delay=0.25:1ns,seed=99")
	f := New(spec, quiet)
	_, server := pair(t)
	const n = 20000
	var auth, busy, corrupt int
	for i := range n {
		cc := f.Wrap(server)
		if cc.Authenticate() != nil {
			auth++
		}
		// A fresh connection per roll, so that no fault is held back.
		err := f.Wrap(server).BeforeStore(0, uint64(i))
		switch {
		case errors.Is(err, wire.ErrBusy):
			busy++
		case errors.Is(err, wire.ErrCorrupt):
			corrupt++
		}
		cc.BeforeAck(context.Background())
	}
	near := func(name string, got int, rate float64) {
		if want := rate * n; float64(got) < want*0.9 || float64(got) > want*1.1 {
			t.Errorf("%s fired %d times in %d, want about %.0f", name, got, n, want)
		}
	}
	near("auth-busy", auth, spec.AuthBusy)
	near("busy", busy, spec.Busy)
	near("corrupt", corrupt, spec.Corrupt)
	near("delay", int(f.Counts().Delay), spec.Delay)
	if c := f.Counts(); int(c.AuthBusy) != auth || int(c.Busy) != busy || int(c.Corrupt) != corrupt {
		t.Errorf("counts %v disagree with the answers %d %d %d", c, auth, busy, corrupt)
	}
}

func TestNothingAfterAnEndingFault(t *testing.T) {
	t.Parallel()
	f := New(MustParse("busy=0.5,corrupt=0.5,auth-busy=1,delay=1:1ns,seed=5"), quiet)
	_, server := pair(t)
	cc := f.Wrap(server)
	if err := cc.Authenticate(); !errors.Is(err, wire.ErrBusy) {
		t.Fatalf("auth-busy=1 answered %v", err)
	}
	for i := range uint64(100) {
		if err := cc.BeforeStore(0, i); err != nil {
			t.Fatalf("chunk %d answered %v after the connection's ending fault", i, err)
		}
	}
	// Delays do not end a connection and still happen.
	cc.BeforeAck(context.Background())
	if c := f.Counts(); c != (Counts{AuthBusy: 1, Delay: 1}) {
		t.Fatalf("counts %v", c)
	}
}

func TestUnseededRunsDiffer(t *testing.T) {
	t.Parallel()
	a := New(MustParse("busy=0.5"), quiet).Spec().Seed
	b := New(MustParse("busy=0.5"), quiet).Spec().Seed
	if a == b {
		t.Fatalf("two unseeded Faults share seed %d", a)
	}
}

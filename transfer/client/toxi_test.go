package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"

	"github.com/hoist-dev/hoist/transfer/servertest"
)

// The tests in this file put an in-process toxiproxy between the engine and
// a real server, and break the link in the ways the issue lists.

// startProxy returns a running proxy to upstream on a free loopback port.
func startProxy(t *testing.T, upstream string) *toxiproxy.Proxy {
	t.Helper()
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := toxiproxy.NewProxy(api, "hoist", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Toxics.ResetToxics(context.Background())
		p.Stop()
	})
	return p
}

// addToxic adds a toxic given as toxiproxy's JSON and returns its name.
func addToxic(t *testing.T, p *toxiproxy.Proxy, name, typ, stream string, attrs string) string {
	t.Helper()
	js := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1,"attributes":%s}`, name, typ, stream, attrs)
	if _, err := p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		t.Fatalf("adding toxic %s: %v", js, err)
	}
	return name
}

func removeToxic(t *testing.T, p *toxiproxy.Proxy, name string) {
	t.Helper()
	if err := p.Toxics.RemoveToxic(context.Background(), name); err != nil {
		t.Fatalf("removing toxic %s: %v", name, err)
	}
}

// proxied starts a server, a proxy in front of it, and an engine that talks
// to the proxy.
type proxied struct {
	srv   *servertest.Server
	proxy *toxiproxy.Proxy
	e     *Engine
	rec   *recorder
}

func startProxied(t *testing.T, tweak func(*Options)) *proxied {
	srv := servertest.Start(t)
	p := startProxy(t, srv.Addr())
	o := testOptions(t, "tcp://"+p.Listen, StaticToken(srv.Token("alice")))
	if tweak != nil {
		tweak(&o)
	}
	e, rec := newEngine(t, o)
	return &proxied{srv: srv, proxy: p, e: e, rec: rec}
}

func (px *proxied) start(t *testing.T, size int, seed uint64) (fid string, data []byte) {
	t.Helper()
	path, data := writeFile(t, t.TempDir(), "f.bin", size, seed)
	fid, err := px.e.Start(Spec{Files: []LocalFile{{Path: path, Name: "f.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	return fid, data
}

// finish waits for the upload and checks it verified and stored the data.
func (px *proxied) finish(t *testing.T, fid string, data []byte) uploadLog {
	t.Helper()
	if err := wait(t, px.e, fid); err != nil {
		t.Fatalf("upload failed: %v", err)
	}
	checkStored(t, px.srv, "alice", map[string][]byte{"f.bin": data})
	px.rec.waitFor(fid, "the final event", 10*time.Second, func(u *uploadLog) bool { return u.final })
	return px.rec.log(fid)
}

func (px *proxied) backoffs(fid string) int {
	u := px.rec.log(fid)
	return u.count(StateBackingOff)
}

// waitAcked waits until at least n bytes are acknowledged.
func (px *proxied) waitAcked(t *testing.T, fid string, n uint64) {
	t.Helper()
	px.rec.waitFor(fid, fmt.Sprintf("%d bytes acknowledged", n), 60*time.Second, func(u *uploadLog) bool {
		return u.ackedTotal() >= n || u.final
	})
}

// waitBackoff waits until the upload has backed off more than before times.
func (px *proxied) waitBackoff(t *testing.T, fid string, before int) *SessionEvent {
	t.Helper()
	var ev *SessionEvent
	px.rec.waitFor(fid, "a reconnect", 60*time.Second, func(u *uploadLog) bool {
		if u.count(StateBackingOff) <= before {
			return false
		}
		for _, s := range slices.Backward(u.sessions) {
			if s.State == StateBackingOff {
				ev = s
				break
			}
		}
		return true
	})
	return ev
}

func TestResetPeerAtTwentyRandomPoints(t *testing.T) {
	t.Parallel()
	const size = 4 << 20
	const windowBytes = 256 << 10
	px := startProxied(t, func(o *Options) { o.Window = Window{Chunks: 64, Bytes: windowBytes} })
	// Slow the link so that twenty resets fit into one upload.
	addToxic(t, px.proxy, "slow", "bandwidth", "upstream", `{"rate":2048}`)
	fid, data := px.start(t, size, 10)

	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(seed, 1))
	// Between 2% and 80%: the last point leaves more to send than the window
	// holds, so that the reset always meets data on its way.
	points := make([]uint64, 20)
	for i := range points {
		points[i] = uint64(size/50 + r.IntN(size*78/100))
	}
	slices.Sort(points)
	t.Logf("seed %d, reset points (acknowledged bytes) %v", seed, points)

	resets := 0
	for i, at := range points {
		px.waitAcked(t, fid, at)
		if px.rec.log(fid).final {
			t.Fatalf("upload ended before reset %d", i+1)
		}
		before := px.backoffs(fid)
		addToxic(t, px.proxy, "reset", "reset_peer", "upstream", `{"timeout":0}`)
		ev := px.waitBackoff(t, fid, before)
		removeToxic(t, px.proxy, "reset")
		resets++
		if i == 0 {
			t.Logf("first reset seen as: %v", ev.Err)
		}
	}
	u := px.finish(t, fid, data)
	extra := u.wireBytes - size
	// Each reset can cost at most what was in flight: one window, plus the
	// chunk that the window always allows.
	bound := uint64(u.count(StateBackingOff)) * (windowBytes + testChunk)
	t.Logf("%d resets, %d reconnects: %d bytes sent for a %d byte file, %d beyond its size (%.1f%%, bound %d)",
		resets, u.count(StateBackingOff), u.wireBytes, size, extra, 100*float64(extra)/size, bound)
	if extra > bound {
		t.Fatalf("%d bytes sent beyond the file size, more than %d reconnects x window explain (%d)", extra, u.count(StateBackingOff), bound)
	}
	if len(u.resent) == 0 {
		t.Error("twenty resets and not one chunk resent: the resets missed the transfer")
	}
}

func TestLimitDataCutsAFrameInHalf(t *testing.T) {
	t.Parallel()
	px := startProxied(t, nil)
	// The AUTHENTICATION is a few hundred bytes and each chunk frame a bit
	// over testChunk: this limit ends the stream in the middle of the second
	// chunk's frame.
	cut := 600 + testChunk + testChunk/2
	addToxic(t, px.proxy, "cut", "limit_data", "upstream", fmt.Sprintf(`{"bytes":%d}`, cut))
	fid, data := px.start(t, 2<<20, 11)
	ev := px.waitBackoff(t, fid, 0)
	t.Logf("cut after %d bytes, seen as: %v", cut, ev.Err)
	removeToxic(t, px.proxy, "cut")
	u := px.finish(t, fid, data)
	if u.count(StateConnecting) < 2 {
		t.Fatalf("states %v: no reconnect", u.states)
	}
}

func TestBlackholeIsDetectedByTheDeadline(t *testing.T) {
	t.Parallel()
	const timeout = time.Second
	// One chunk at a time, each answer delayed: the upload takes a while.
	px := startProxied(t, func(o *Options) {
		o.ReadTimeout = timeout
		o.Window = Window{Chunks: 1, Bytes: testChunk}
	})
	addToxic(t, px.proxy, "slow", "latency", "downstream", `{"latency":10}`)
	fid, data := px.start(t, 2<<20, 12)
	px.waitAcked(t, fid, 256<<10)
	// Everything sent from now on vanishes; the connection stays open.
	addToxic(t, px.proxy, "hole", "timeout", "upstream", `{"timeout":0}`)
	ev := px.waitBackoff(t, fid, 0)
	if !errors.Is(ev.Err, os.ErrDeadlineExceeded) {
		t.Fatalf("backed off because of %v, want the read deadline", ev.Err)
	}
	t.Logf("blackhole seen as: %v", ev.Err)
	removeToxic(t, px.proxy, "hole")
	u := px.finish(t, fid, data)
	t.Log(u.timeline())
}

func TestSlicerLatencyBandwidth(t *testing.T) {
	t.Parallel()
	const size = 3 << 20
	px := startProxied(t, nil)
	addToxic(t, px.proxy, "slicer", "slicer", "upstream", `{"average_size":1500,"size_variation":1000,"delay":50}`)
	addToxic(t, px.proxy, "lat-up", "latency", "upstream", `{"latency":25,"jitter":5}`)
	addToxic(t, px.proxy, "lat-down", "latency", "downstream", `{"latency":25,"jitter":5}`)
	addToxic(t, px.proxy, "bw", "bandwidth", "upstream", `{"rate":4096}`)
	start := time.Now()
	fid, data := px.start(t, size, 13)
	u := px.finish(t, fid, data)
	elapsed := time.Since(start)
	t.Logf("%d bytes through slicer + 2x25ms latency + 4 MiB/s in %v (%.2f MiB/s), window at the end %d bytes, %d resends",
		size, elapsed.Round(time.Millisecond), size/elapsed.Seconds()/(1<<20), u.last.WindowBytes, len(u.resent))
}

func TestProxyStoppedAndStartedLater(t *testing.T) {
	t.Parallel()
	px := startProxied(t, nil)
	addToxic(t, px.proxy, "slow", "bandwidth", "upstream", `{"rate":1024}`)
	fid, data := px.start(t, 2<<20, 14)
	px.waitAcked(t, fid, 256<<10)
	px.proxy.Stop()
	// While the proxy is down every attempt is refused.
	px.waitBackoff(t, fid, 0)
	ev := px.waitBackoff(t, fid, 2)
	t.Logf("with the proxy down: %v", ev.Err)
	if err := px.proxy.Start(); err != nil {
		t.Fatal(err)
	}
	px.finish(t, fid, data)
}

func (u *uploadLog) timeline() string {
	var b strings.Builder
	t0 := u.sessions[0].At
	for _, s := range u.sessions {
		fmt.Fprintf(&b, "\n  %8v %v attempt=%d err=%v", s.At.Sub(t0).Round(time.Millisecond), s.State, s.Attempt, s.Err)
	}
	return b.String()
}

// TestSlowLinkMakesSteadyProgress: through a 24 KiB/s link, with the
// engine's default settings (nothing but the server, token and journal),
// a 2 MiB upload completes on one connection, with no chunk resent and no
// reconnection: no timeout cuts a chunk that is still on its way.
func TestSlowLinkMakesSteadyProgress(t *testing.T) {
	t.Parallel()
	const size = 2 << 20
	srv := servertest.Start(t)
	p := startProxy(t, srv.Addr())
	addToxic(t, p, "bw", "bandwidth", "upstream", `{"rate":25}`) // 25,000 bytes/s
	o := Options{
		Server: "tcp://" + p.Listen, Token: StaticToken(srv.Token("alice")),
		JournalDir: filepath.Join(t.TempDir(), "journal"),
	}
	e, rec := newEngine(t, o)
	path, data := writeFile(t, t.TempDir(), "f.bin", size, 15)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "f.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Fail at the first sign of a timeout rather than after minutes.
	rec.waitFor(fid, "the upload to end", 4*time.Minute, func(u *uploadLog) bool {
		return u.final || u.count(StateBackingOff) > 0 || len(u.resent) > 0
	})
	u := rec.log(fid)
	if u.count(StateBackingOff) > 0 || len(u.resent) > 0 || u.count(StateConnecting) != 1 {
		t.Fatalf("states %v, %d chunks resent (%q): the slow link was cut", u.states, len(u.resent), u.reasons)
	}
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, "alice", map[string][]byte{"f.bin": data})
	if chunks := len(u.acked); chunks < 8 {
		t.Errorf("%d chunks for 2 MiB at 24 KiB/s: chunks this large take more than a few seconds each", chunks)
	}
	t.Logf("%d chunks of %d bytes", len(u.acked), u.last.Files[0].ChunkSize)
}

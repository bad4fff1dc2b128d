package server_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// TestSlowFrameIsNotCut: a chunk that arrives at 24 KiB/s, taking several
// frame timeouts in all but never pausing for one, is accepted; the frame
// timeout bounds silence, not a frame's duration. A stream that stalls
// inside a frame is still cut (TestTruncatedFrames).
func TestSlowFrameIsNotCut(t *testing.T) {
	t.Parallel()
	const frameTimeout = 500 * time.Millisecond
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{FrameTimeout: frameTimeout}))
	f := randomFile(t, "hotel-wifi.bin", 48<<10)
	c := dial(t, srv)
	c.mustAuth(authMsg(srv.Token("alice"), uuid.New(), []file{f}, nil, 64<<10))
	frame := wire.AppendFrame(nil, wire.TypeTransferRaw, wire.AppendRawTransfer(nil, c.chunk(0, 0, f.data)))
	const rate = 24 << 10 // bytes per second
	const piece = 1 << 10
	start := time.Now()
	for off := 0; off < len(frame); off += piece {
		c.sendRaw(frame[off:min(off+piece, len(frame))])
		// Pace the pieces at the link's rate.
		time.Sleep(time.Until(start.Add(time.Duration(off+piece) * time.Second / rate)))
	}
	took := time.Since(start)
	r := c.recv()
	if !r.OK() {
		t.Fatalf("a chunk delivered at 24 KiB/s over %v (frame timeout %v) was refused: %v", took.Round(time.Millisecond), frameTimeout, r.Err())
	}
	if r.SHA256 != sha(f.data) {
		t.Fatalf("sha256 %s, want %s", r.SHA256, sha(f.data))
	}
	if took < 3*frameTimeout {
		t.Fatalf("the frame took only %v; the test needs several frame timeouts", took)
	}
}

package client

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// startOldServerProxy fronts a server as one older than LIST and REMOVE:
// it answers those bad-request ("unknown user type"), as such a server
// does, and forwards every other frame.
func startOldServerProxy(t *testing.T, upstream string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			track(c)
			wg.Go(func() { oldServerConn(c, upstream, track, &wg) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "tcp://" + ln.Addr().String()
}

func oldServerConn(c net.Conn, upstream string, track func(net.Conn), wg *sync.WaitGroup) {
	defer c.Close()
	r, w := wire.NewReader(c), wire.NewWriter(c)
	var up net.Conn
	var upw *wire.Writer
	for {
		fr, err := r.ReadFrame()
		if err != nil {
			return
		}
		if fr.Type == wire.TypeList || fr.Type == wire.TypeRemove {
			if up != nil {
				return // keep it simple: old-server answers only before an upload
			}
			h, _ := wire.DecodeRequestHead(fr.Payload, fr.Type)
			id := ""
			if h != nil {
				id = h.MessageID
			}
			resp := wire.ErrorResponse(id, wire.Errorf(wire.CodeBadRequest, "unknown user type %d", byte(fr.Type)))
			payload, _ := wire.EncodeJSON(resp)
			if w.WriteFrame(wire.TypeResponse, payload) != nil || w.Flush() != nil {
				return
			}
			continue
		}
		if up == nil {
			if up, err = net.Dial("tcp", upstream); err != nil {
				return
			}
			track(up)
			upw = wire.NewWriter(up)
			wg.Go(func() { io.Copy(c, up); c.Close() })
		}
		if upw.WriteFrame(fr.Type, fr.Payload) != nil || upw.Flush() != nil {
			return
		}
	}
}

// TestTreeAgainstAnOldServerHalvesRefusedParts: a server that cannot list
// states no limit; the client tries parts of 1,000 and halves a part the
// server refuses too-large, until every file is stored.
func TestTreeAgainstAnOldServerHalvesRefusedParts(t *testing.T) {
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{MaxFiles: 300}))
	url := startOldServerProxy(t, srv.Addr())
	dir := filepath.Join(t.TempDir(), "old")
	files := map[string]string{}
	for i := range 700 {
		files[fmt.Sprintf("f%03d.txt", i)] = fmt.Sprint(i)
	}
	writeTree(t, dir, files)
	e, rec := newEngine(t, testOptions(t, url, StaticToken(srv.Token("alice"))))
	evs, err := runJob(t, e, rec, TreeSpec{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	notes := 0
	for _, ev := range evs {
		if j, ok := ev.(*JobEvent); ok && j.Kind == JobNote {
			notes++
		}
	}
	if done := jobDone(t, evs); done.Parts != 4 || notes < 2 {
		t.Fatalf("%d parts, %d notes; want 4 parts of 175 files and notes about listing and halving", done.Parts, notes)
	}
	if n := len(srv.Files("alice")); n != 700 {
		t.Fatalf("server holds %d files, want 700", n)
	}
	unfinished, err := e.Unfinished()
	if err != nil || len(unfinished) != 0 {
		t.Fatalf("refused parts left in the journal: %v, %v", unfinished, err)
	}
}

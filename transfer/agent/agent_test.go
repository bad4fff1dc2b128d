package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/client"
	"github.com/hoist-dev/hoist/transfer/servertest"
)

// startAgent runs an agent in a temporary directory whose engines upload
// to srv with srv's token for alice; it stops when the test ends.
func startAgent(t *testing.T, srv *servertest.Server, idle time.Duration) (*Server, *served) {
	t.Helper()
	journal := t.TempDir()
	s, err := Listen(Config{
		Dir: filepath.Join(t.TempDir(), "hoist"),
		NewEngine: func(set Settings) (*client.Engine, error) {
			return client.New(client.Options{Server: set.Server, Token: client.StaticToken(srv.Token("alice")),
				JournalDir: journal, ChunkSize: 16 << 10})
		},
		IdleTimeout: idle,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sv := &served{done: make(chan struct{})}
	go func() {
		defer close(sv.done)
		sv.err = s.Serve(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-sv.done
	})
	return s, sv
}

// served is the end of a Serve.
type served struct {
	done chan struct{}
	err  error
}

func dial(t *testing.T, s *Server) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, s.Socket())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func writeFile(t *testing.T, n int) File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.bin")
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return File{Path: path, Name: "data.bin"}
}

func TestSocketAndDirectoryArePrivate(t *testing.T) {
	s, _ := startAgent(t, servertest.Start(t), time.Minute)
	for path, want := range map[string]os.FileMode{filepath.Dir(s.Socket()): 0o700, s.Socket(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s: %v, %v; want mode %v", path, fi.Mode().Perm(), err, want)
		}
	}
}

func TestASecondAgentFindsTheFirst(t *testing.T) {
	s, _ := startAgent(t, servertest.Start(t), time.Minute)
	_, err := Listen(Config{Dir: filepath.Dir(s.Socket())})
	var running *AlreadyRunningError
	if !errors.As(err, &running) || running.PID != os.Getpid() || running.Socket != s.Socket() {
		t.Fatalf("second Listen: %v; want AlreadyRunningError naming pid %d", err, os.Getpid())
	}
}

func TestAnotherProtocolVersionIsRefusedWithAClearMessage(t *testing.T) {
	s, _ := startAgent(t, servertest.Start(t), time.Minute)
	c, err := net.Dial("unix", s.Socket())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(`{"id":1,"op":"hello","version":99}` + "\n")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var m Message
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	if m.ID != 1 || !strings.Contains(m.Error, "protocol version 1, this hoist speaks version 99") {
		t.Fatalf("answer %+v; want the versions named", m)
	}
}

func TestAttachingReplaysAndTwoSubscribersSeeEveryEvent(t *testing.T) {
	srv := servertest.Start(t)
	s, _ := startAgent(t, srv, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first := dial(t, s)
	if _, _, err := first.Subscribe(ctx); err != nil {
		t.Fatal(err)
	}
	f := writeFile(t, 512<<10)
	set := Settings{Server: srv.URL(), Engine: json.RawMessage(`{"secret":"never sent back"}`)}
	fid, err := first.Start(ctx, set, "", []File{f}, []string{"t1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Wait(ctx, fid); err != nil {
		t.Fatalf("upload: %v", err)
	}
	// A client that attaches after the end is replayed the upload: its
	// description, then its final state and chunk map.
	second := dial(t, s)
	ups, _, err := second.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 1 || ups[0].FID != fid || ups[0].State != "done" || ups[0].AckedBytes != 512<<10 {
		t.Fatalf("attach lists %+v", ups)
	}
	var sawUpload, sawDone bool
	var lastMap []client.ChunkState
	for !sawDone || lastMap == nil {
		select {
		case m := <-second.Stream():
			b, _ := json.Marshal(m)
			if strings.Contains(string(b), "never sent back") {
				t.Fatalf("the agent sent the settings back: %s", b)
			}
			switch {
			case m.Upload != nil:
				sawUpload = m.Upload.FID == fid
			case m.Event != nil && m.Event.Type == "session" && client.State(m.Event.State) == client.StateDone:
				sawDone = sawUpload
			case m.Event != nil && m.Event.Type == "progress":
				lastMap = m.Event.Files[0].Map
			}
		case <-ctx.Done():
			t.Fatalf("replay incomplete: upload %v, done %v, map %v", sawUpload, sawDone, lastMap)
		}
	}
	for i, c := range lastMap {
		if c != client.ChunkHeld {
			t.Fatalf("replayed chunk map cell %d is %v, want held", i, c)
		}
	}
	// The first subscriber saw the live events, the final one included.
	for done := false; !done; {
		select {
		case m := <-first.Stream():
			done = m.Event != nil && m.Event.Type == "session" && client.State(m.Event.State) == client.StateDone
		case <-ctx.Done():
			t.Fatal("the first subscriber did not see the upload end")
		}
	}
}

func TestAnIdleAgentExits(t *testing.T) {
	s, sv := startAgent(t, servertest.Start(t), 50*time.Millisecond)
	c := dial(t, s)
	// Many idle timeouts later, the attached client is still answered.
	select {
	case <-sv.done:
		t.Fatalf("the agent exited with a client attached: %v", sv.err)
	case <-time.After(300 * time.Millisecond):
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := c.List(ctx); err != nil {
		t.Fatalf("list with a client attached: %v", err)
	}
	c.Close()
	select {
	case <-sv.done:
		if sv.err != nil {
			t.Fatal(sv.err)
		}
	case <-ctx.Done():
		t.Fatal("the agent did not exit once idle")
	}
	if _, err := os.Stat(s.Socket()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left behind: %v", err)
	}
}

// A rate limit set by one client caps the engine of those settings: every
// client asking about them sees it, and a negative one is refused.
func TestRateLimitOfASettingsEngine(t *testing.T) {
	srv := servertest.Start(t)
	s, _ := startAgent(t, srv, time.Minute)
	one, two := dial(t, s), dial(t, s)
	set := Settings{Server: srv.URL()}
	ctx := t.Context()
	if rate, err := two.RateLimit(ctx, set); err != nil || rate != 0 {
		t.Fatalf("RateLimit before any was set = %d, %v; want 0", rate, err)
	}
	if err := one.SetRateLimit(ctx, set, 2<<20); err != nil {
		t.Fatal(err)
	}
	if rate, err := two.RateLimit(ctx, set); err != nil || rate != 2<<20 {
		t.Fatalf("RateLimit seen by another client = %d, %v; want %d", rate, err, 2<<20)
	}
	if rate, err := two.RateLimit(ctx, Settings{Server: srv.URL(), KeepTrying: true}); err != nil || rate != 0 {
		t.Fatalf("RateLimit of other settings = %d, %v; want 0", rate, err)
	}
	if err := one.SetRateLimit(ctx, set, -1); err == nil || !strings.Contains(err.Error(), "want 0") {
		t.Fatalf("a negative rate limit: %v", err)
	}
}

package chaos_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/chaos"
	"github.com/hoist-dev/hoist/transfer/client"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
)

// uploadSpec turns on every kind of fault, often enough that each happens
// several times over the ~450 chunks below whatever the timing, yet the
// upload still ends in well under a minute. Stalls outlast the client's
// read timeout, so its deadline fires.
const uploadSpec = "auth-busy=0.25,busy=0.02,corrupt=0.04,drop=0.02,stall=0.015:10s,delay=0.05:20ms,seed=20261125"

// clientTally is what the engine's events report, sorted by cause.
type clientTally struct {
	authBusy, busy, lost int // backoffs, by the error that caused them
	corruptResends       int
	resendReasons        map[string]int
	lostBecause          []string
	droppedChunkEvents   uint64
	// unclear lists what the engine said without the plain words a user
	// needs ("server busy", "checksum rejected by server", ...).
	unclear []string
}

// say records msg as unclear unless it contains words.
func (tl *clientTally) say(msg string, words ...string) {
	for _, w := range words {
		if strings.Contains(msg, w) {
			return
		}
	}
	tl.unclear = append(tl.unclear, fmt.Sprintf("%q lacks %q", msg, words))
}

// tallyEvents reads the engine's events until the upload fid reaches a final
// state, then returns what they said.
func tallyEvents(events <-chan client.Event, fid string) clientTally {
	tl := clientTally{resendReasons: make(map[string]int)}
	for ev := range events {
		if ev.UploadFID() != fid {
			continue
		}
		switch e := ev.(type) {
		case *client.SessionEvent:
			if e.State == client.StateBackingOff {
				switch msg := fmt.Sprint(e.Err); {
				case strings.Contains(msg, chaos.ReasonAuthBusy):
					tl.authBusy++
					tl.say(msg, "authentication refused: server busy")
				case strings.Contains(msg, chaos.ReasonBusy):
					tl.busy++
					tl.say(msg, "server busy")
					tl.say(msg, "chunk ")
				case strings.Contains(msg, chaos.ReasonCorrupt):
					// The engine gives a session up when one chunk is
					// rejected several times in a row: corrupt answers,
					// counted as such when the chunk goes again.
					tl.say(msg, "checksum rejected by server")
				default:
					tl.lost++
					tl.lostBecause = append(tl.lostBecause, msg)
					tl.say(msg, "connection dropped", "no answer within 3s", "the server took nothing for 3s")
				}
				if e.RetryAt.IsZero() {
					tl.unclear = append(tl.unclear, "a backoff without the time of the next try")
				}
			}
			if e.State.Final() {
				return tl
			}
		case *client.ChunkEvent:
			if e.Action == client.ChunkResent {
				reason, _, _ := strings.Cut(e.Reason, ":")
				tl.resendReasons[reason]++
				if strings.Contains(e.Reason, chaos.ReasonCorrupt) {
					tl.corruptResends++
					tl.say(e.Reason, "checksum rejected by server")
				}
			}
		case *client.ProgressEvent:
			tl.droppedChunkEvents = e.DroppedChunkEvents
		}
	}
	return tl
}

// randomFile writes size pseudo-random bytes to a new file in dir and
// returns its path and sha256.
func randomFile(t *testing.T, dir, name string, size int64, seed uint64) (string, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	src := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	if _, err := io.CopyN(io.MultiWriter(f, h), src, size); err != nil {
		t.Fatal(err)
	}
	return path, hex.EncodeToString(h.Sum(nil))
}

func TestUploadUnderChaosCompletesAndCountsMatch(t *testing.T) {
	t.Parallel()
	faults := chaos.New(chaos.MustParse(uploadSpec), nil)
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.Faults = faults }))

	dir := t.TempDir()
	sizes := []struct {
		name string
		size int64
	}{{"big.bin", 100 << 20}, {"notes.txt", 3<<20 + 17}, {"small.dat", 700 << 10}, {"empty", 0}}
	var files []client.LocalFile
	want := make(map[string]string)
	for i, s := range sizes {
		path, sum := randomFile(t, dir, s.name, s.size, uint64(i+1))
		files = append(files, client.LocalFile{Path: path, Name: s.name})
		want[s.name] = sum
	}

	eng, err := client.New(client.Options{
		Server:      srv.URL(),
		Token:       client.StaticToken(srv.Token("alice")),
		ChunkSize:   256 << 10,
		Window:      client.Window{Chunks: 16, Bytes: 4 << 20},
		Retry:       client.RetryPolicy{Base: 20 * time.Millisecond, Cap: 200 * time.Millisecond},
		ReadTimeout: 3 * time.Second,
		JournalDir:  t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	fid, err := eng.Start(client.Spec{Files: files, Tags: []string{"chaos"}})
	if err != nil {
		t.Fatal(err)
	}
	tallied := make(chan clientTally, 1)
	go func() { tallied <- tallyEvents(eng.Events(), fid) }()

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if err := eng.Wait(ctx, fid); err != nil {
		t.Fatalf("upload under chaos failed: %v (faults injected: %v)", err, faults.Counts())
	}
	tl := <-tallied
	got := faults.Counts()
	t.Logf("server injected %v", got)
	t.Logf("client saw %d auth refusals, %d busy, %d lost connections, %d corrupt resends; resends by reason %v",
		tl.authBusy, tl.busy, tl.lost, tl.corruptResends, tl.resendReasons)
	for _, why := range tl.lostBecause {
		t.Logf("client backed off after: %s", why)
	}

	// Nothing was lost and every file verifies against the local bytes.
	stored := srv.Files("alice")
	if len(stored) != len(sizes) {
		t.Fatalf("server holds %d files, want %d", len(stored), len(sizes))
	}
	for _, f := range stored {
		sum := sha256.Sum256(srv.ReadFile(f))
		if hex.EncodeToString(sum[:]) != want[f.Name] || f.SHA256 != want[f.Name] {
			t.Errorf("%s: stored sha256 %x, recorded %s, local %s", f.Name, sum, f.SHA256, want[f.Name])
		}
	}

	// Every kind of fault happened, and the client saw each one.
	for _, k := range []chaos.Kind{chaos.AuthBusy, chaos.Busy, chaos.Corrupt, chaos.Drop, chaos.Stall, chaos.Delay} {
		if got.Of(k) == 0 {
			t.Errorf("no %s fault was injected: the test does not exercise it", k)
		}
	}
	for _, u := range tl.unclear {
		t.Errorf("the engine's words are unclear: %s", u)
	}
	if tl.droppedChunkEvents != 0 {
		t.Fatalf("the engine dropped %d chunk events: the corrupt resends cannot be counted", tl.droppedChunkEvents)
	}
	if int(got.AuthBusy) != tl.authBusy {
		t.Errorf("server refused %d authentications, client backed off after %d", got.AuthBusy, tl.authBusy)
	}
	if int(got.Busy) != tl.busy {
		t.Errorf("server answered busy %d times, client backed off after %d", got.Busy, tl.busy)
	}
	if int(got.Corrupt) != tl.corruptResends {
		t.Errorf("server answered corrupt %d times, client resent %d chunks for it", got.Corrupt, tl.corruptResends)
	}
	if int(got.Drop+got.Stall) != tl.lost {
		t.Errorf("server dropped %d and stalled %d connections, client lost %d: %q", got.Drop, got.Stall, tl.lost, tl.lostBecause)
	}
}

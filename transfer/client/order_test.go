package client

import (
	"testing"
	"time"
)

// TestEmitterKeepsTimeOrder: a progress snapshot queued before a session
// event is not overwritten by a newer one (which would put a later time
// ahead of the session event); the newer one queues after it.
func TestEmitterKeepsTimeOrder(t *testing.T) {
	t.Parallel()
	e := newEmitter()
	defer e.close()
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	e.progress(&ProgressEvent{FID: "a", At: at(0), State: StateQueued})
	e.session(&SessionEvent{FID: "a", At: at(1), State: StateQueued})
	e.progress(&ProgressEvent{FID: "a", At: at(2), State: StateConnecting})
	e.progress(&ProgressEvent{FID: "a", At: at(3), State: StateAuthenticating}) // coalesces with the previous
	e.chunk(&ChunkEvent{FID: "a", At: at(4)})
	e.progress(&ProgressEvent{FID: "a", At: at(5), State: StateSending})
	e.session(&SessionEvent{FID: "a", At: at(6), State: StateDone})
	want := []string{"progress queued", "session queued", "progress authenticating", "chunk", "progress sending", "session done"}
	var got []string
	deadline := time.After(10 * time.Second)
	for len(got) < len(want) {
		select {
		case ev := <-e.out:
			switch ev := ev.(type) {
			case *ProgressEvent:
				got = append(got, "progress "+ev.State.String())
			case *SessionEvent:
				got = append(got, "session "+ev.State.String())
			case *ChunkEvent:
				got = append(got, "chunk")
			}
		case <-deadline:
			t.Fatalf("got %q, then nothing for 10s; want %q", got, want)
		}
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %q, want %q", got, want)
		}
	}
}

// TestEventsComeInTimeOrder: every event of a real upload, as received,
// carries a time no earlier than the one before it.
func TestEventsComeInTimeOrder(t *testing.T) {
	t.Parallel()
	_, e, rec, fid, _ := startFaulty(t, &faults{}, 64*testChunk, nil)
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	finalLog(t, rec, fid)
	var last time.Time
	for i, ev := range rec.eventsOf(fid) {
		at := eventTime(ev)
		if at.Before(last) {
			t.Fatalf("event %d (%T %+v) at %v, before the previous one at %v", i, ev, ev, at, last)
		}
		last = at
	}
}

func eventTime(ev Event) time.Time {
	switch ev := ev.(type) {
	case *ProgressEvent:
		return ev.At
	case *SessionEvent:
		return ev.At
	case *ChunkEvent:
		return ev.At
	}
	return time.Time{}
}

// TestRestartedServerIsFoundSoon: a server that went away mid-upload and
// comes back while the client is backing off (seeded jitter) is reached
// again within 3 s.
func TestRestartedServerIsFoundSoon(t *testing.T) {
	t.Parallel()
	srv, e, rec, fid, data, _ := slowUpload(t, func(o *Options) {
		o.Retry = RetryPolicy{Base: DefaultRetryBase, Cap: DefaultRetryCap, Seed: 17}
	})
	waitAcked(t, rec, fid, 256<<10)
	srv.Stop()
	// Down for a while: the fourth wait of the series has begun.
	rec.waitFor(fid, "four backoffs", 60*time.Second, func(u *uploadLog) bool { return u.count(StateBackingOff) >= 4 })
	srv.Restart()
	back := time.Now()
	var found time.Time
	rec.waitFor(fid, "sending again", 60*time.Second, func(u *uploadLog) bool {
		for _, s := range u.sessions {
			if s.State == StateSending && s.At.After(back) {
				found = s.At
				return true
			}
		}
		return false
	})
	if d := found.Sub(back); d > 3*time.Second {
		t.Errorf("the server was back for %v before the client found it", d)
	}
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, "alice", map[string][]byte{"f.bin": data})
}

package client

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestJournalLockIsExclusive(t *testing.T) {
	t.Parallel()
	j, err := openJournal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fid := uuid.NewString()
	release, err := j.lock(fid)
	if err != nil {
		t.Fatal(err)
	}
	_, err = j.lock(fid)
	var le *UploadLockedError
	if !errors.Is(err, ErrUploadLocked) || !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("second lock: %v, want ErrUploadLocked naming pid %d", err, os.Getpid())
	}
	if !j.locked(fid) {
		t.Fatal("locked() = false while held")
	}
	if _, err := os.Stat(j.lockPath(fid)); err != nil {
		t.Fatalf("the lock file went away while held: %v", err)
	}
	release()
	if j.locked(fid) {
		t.Fatal("locked() = true after release")
	}
	if _, err := os.Stat(j.lockPath(fid)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock file of an upload not in the journal left behind after release: %v", err)
	}
	release, err = j.lock(fid)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	release()
}

// lockRaceEnv makes the test binary act as one of the racing processes of
// TestTwoProcessesRaceToResumeOneUpload.
const lockRaceEnv = "HOIST_TEST_LOCK_RACE"

// TestTwoProcessesRaceToResumeOneUpload starts two processes that resume
// the same journaled upload at the same moment: exactly one proceeds, and
// the other's error names the winner's pid.
func TestTwoProcessesRaceToResumeOneUpload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path, _ := writeFile(t, dir, "f.bin", 64<<10, 7)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := openJournal(filepath.Join(dir, "journal"))
	if err != nil {
		t.Fatal(err)
	}
	// The server refuses connections: the winner keeps backing off, holding
	// the upload, until told to stop.
	entry := &JournalEntry{
		FID: uuid.NewString(), Server: "tcp://127.0.0.1:1",
		Files:     []JournalFile{{Path: path, Name: "f.bin", Size: uint64(fi.Size()), ModTime: fi.ModTime()}},
		ChunkSize: testChunk, Created: time.Now().UTC(),
	}
	if err := j.put(entry); err != nil {
		t.Fatal(err)
	}
	type racer struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		lines *bufio.Scanner
	}
	var racers []*racer
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLockRacer$", "-test.count=1")
		cmd.Env = append(os.Environ(), lockRaceEnv+"="+j.dir)
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := &racer{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout)}
		racers = append(racers, r)
		t.Cleanup(func() {
			r.stdin.Close()
			done := make(chan struct{})
			go func() { r.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				r.cmd.Process.Kill()
				<-done
				t.Errorf("racer %d did not exit", r.cmd.Process.Pid)
			}
		})
	}
	// readLine reads one line from a racer, failing the test after a deadline.
	readLine := func(r *racer) string {
		got := make(chan string, 1)
		go func() {
			if r.lines.Scan() {
				got <- r.lines.Text()
			} else {
				got <- "EOF"
			}
		}()
		select {
		case l := <-got:
			return l
		case <-time.After(30 * time.Second):
			t.Fatalf("racer %d said nothing within 30s", r.cmd.Process.Pid)
			return ""
		}
	}
	for _, r := range racers {
		if l := readLine(r); l != "ready" {
			t.Fatalf("racer %d: %q, want ready", r.cmd.Process.Pid, l)
		}
	}
	for _, r := range racers {
		fmt.Fprintln(r.stdin, entry.FID)
	}
	var won []int
	var lost []string
	for _, r := range racers {
		l := readLine(r)
		switch {
		case l == "proceeding":
			won = append(won, r.cmd.Process.Pid)
		case strings.HasPrefix(l, "refused "):
			lost = append(lost, strings.TrimPrefix(l, "refused "))
		default:
			t.Fatalf("racer %d: %q", r.cmd.Process.Pid, l)
		}
	}
	if len(won) != 1 || len(lost) != 1 {
		t.Fatalf("%d proceeded and %d were refused (%q), want exactly one each", len(won), len(lost), lost)
	}
	if want := "hoist process " + strconv.Itoa(won[0]); !strings.Contains(lost[0], want) {
		t.Fatalf("the refusal %q does not name the holder (%q)", lost[0], want)
	}
}

// TestHelperLockRacer is one racer of TestTwoProcessesRaceToResumeOneUpload;
// it does nothing unless run by it.
func TestHelperLockRacer(t *testing.T) {
	dir := os.Getenv(lockRaceEnv)
	if dir == "" {
		return
	}
	e, err := New(Options{
		Token: StaticToken("t"), JournalDir: dir,
		Retry: RetryPolicy{Base: 50 * time.Millisecond, Cap: 100 * time.Millisecond, Attempts: 1 << 30},
	})
	if err != nil {
		fmt.Println("error", err)
		return
	}
	defer e.Close()
	go func() {
		for range e.Events() {
		}
	}()
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	if !in.Scan() {
		return
	}
	entries, err := e.journal.list()
	if err != nil || len(entries) != 1 {
		fmt.Println("error: journal", entries, err)
		return
	}
	if err := e.ResumeJournal(entries[0]); err != nil {
		fmt.Println("refused", err)
		return
	}
	fmt.Println("proceeding")
	for in.Scan() { // hold the upload until the test closes stdin
	}
}

package client

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// lockPatience is how long lock keeps trying before it reports the upload
// as held: long enough to ride out another process's locked probe (a
// shared lock held for microseconds), far shorter than any real upload.
const lockPatience = 300 * time.Millisecond

// UploadLockedError reports an upload that another process is running. It
// matches ErrUploadLocked with errors.Is.
type UploadLockedError struct {
	FID string
	// PID is the process holding the upload, 0 when it could not be read.
	PID int
}

func (e *UploadLockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("upload %s is being sent by hoist process %d: wait for it to end, or stop it first", e.FID, e.PID)
	}
	return fmt.Sprintf("upload %s is being sent by another hoist process: wait for it to end, or stop it first", e.FID)
}

// Is makes errors.Is(err, ErrUploadLocked) true.
func (e *UploadLockedError) Is(target error) bool { return target == ErrUploadLocked }

func (j *journal) lockPath(fid string) string  { return filepath.Join(j.dir, fid+".lock") }
func (j *journal) ownerPath(fid string) string { return filepath.Join(j.dir, fid+".owner") }

// lock claims the upload fid for this process with an advisory lock on
// <fid>.lock (github.com/gofrs/flock), so that two hoist processes never run
// the same upload, and records this process's pid in <fid>.owner so that the
// loser can name the winner. The lock dies with the process.
//
// The lock file is never removed while locked: release unlocks first, and
// removes the file afterwards only when the upload has left the journal. A
// process that locked the old file in between finds the entry gone and gives
// up (launch checks the entry after locking), so no two processes ever both
// believe they hold one upload.
func (j *journal) lock(fid string) (release func(), err error) {
	fl := flock.New(j.lockPath(fid), flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(context.Background(), lockPatience)
	defer cancel()
	ok, err := fl.TryLockContext(ctx, 10*time.Millisecond)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fl.Close()
		return nil, fmt.Errorf("locking upload %s: %w", fid, err)
	}
	if !ok {
		fl.Close()
		return nil, &UploadLockedError{FID: fid, PID: j.owner(fid)}
	}
	owner := j.ownerPath(fid)
	if err := os.WriteFile(owner, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		fl.Unlock()
		fl.Close()
		return nil, fmt.Errorf("locking upload %s: recording the owner: %w", fid, err)
	}
	return func() {
		os.Remove(owner)
		fl.Unlock()
		fl.Close()
		if _, err := os.Stat(j.path(fid)); errors.Is(err, fs.ErrNotExist) {
			os.Remove(j.lockPath(fid))
		}
	}, nil
}

// owner reads the pid recorded by the holder of fid's lock, 0 if unknown.
// The holder writes it just after locking, so a reader that lost the race
// by a hair retries briefly.
func (j *journal) owner(fid string) int {
	for range 10 {
		data, err := os.ReadFile(j.ownerPath(fid))
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && pid > 0 {
				return pid
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0
}

// locked reports whether another process holds the lock of fid. It probes
// with a shared lock, which never removes anything and never conflicts with
// another probe; a concurrent lock rides it out (lockPatience).
func (j *journal) locked(fid string) bool {
	if _, err := os.Stat(j.lockPath(fid)); errors.Is(err, fs.ErrNotExist) {
		return false
	}
	fl := flock.New(j.lockPath(fid), flock.SetPermissions(0o600))
	defer fl.Close()
	ok, err := fl.TryRLock()
	if err != nil {
		return false
	}
	if !ok {
		return true
	}
	fl.Unlock()
	return false
}

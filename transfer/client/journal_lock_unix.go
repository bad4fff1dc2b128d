//go:build unix

package client

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lock claims the upload fid for this process with an advisory lock on
// <fid>.lock, so that two hoist processes never run the same upload. The
// lock dies with the process; release removes the file.
func (j *journal) lock(fid string) (release func(), err error) {
	path := filepath.Join(j.dir, fid+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking upload %s: %w", fid, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", fid, ErrUploadLocked)
		}
		return nil, fmt.Errorf("locking upload %s: %w", fid, err)
	}
	return func() {
		os.Remove(path)
		f.Close()
	}, nil
}

// locked reports whether another process holds the lock of fid.
func (j *journal) locked(fid string) bool {
	release, err := j.lock(fid)
	if err != nil {
		return errors.Is(err, ErrUploadLocked)
	}
	release()
	return false
}

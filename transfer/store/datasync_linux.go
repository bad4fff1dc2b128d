package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync flushes f's data and the metadata needed to read it back
// (fdatasync), not its timestamps.
func datasync(f *os.File) error { return onFD(f, unix.Fdatasync) }

// syncfs flushes every file of the file system f is on (syncfs), which
// for many small files is one journal commit instead of one each.
func syncfs(f *os.File) error { return onFD(f, unix.Syncfs) }

// haveSyncfs: syncfs exists here.
const haveSyncfs = true

// onFD runs sync on f's descriptor, again while it is interrupted (EINTR).
func onFD(f *os.File, sync func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		for {
			if serr = sync(int(fd)); serr != unix.EINTR {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	return serr
}

package store

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// allocate gives f its final size with the blocks reserved (fallocate), so
// that writing and syncing chunks later does not allocate blocks and a
// full disk shows at once. File systems without fallocate get a sparse
// file.
func allocate(f *os.File, size int64) error {
	if size == 0 {
		return nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			ferr = unix.Fallocate(int(fd), 0, 0, size)
			if ferr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	switch {
	case ferr == nil:
		return nil
	case errors.Is(ferr, unix.ENOSPC), errors.Is(ferr, unix.EDQUOT):
		return ErrNoSpace
	}
	return f.Truncate(size)
}

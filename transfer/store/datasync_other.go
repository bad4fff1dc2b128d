//go:build !linux

package store

import (
	"errors"
	"os"
)

// datasync flushes f to stable storage.
func datasync(f *os.File) error { return f.Sync() }

// haveSyncfs: syncfs does not exist here.
const haveSyncfs = false

// syncfs is not available: callers sync each file.
func syncfs(*os.File) error { return errors.ErrUnsupported }

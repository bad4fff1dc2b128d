//go:build !linux

package store

import "os"

// allocate gives f its final size (a sparse file).
func allocate(f *os.File, size int64) error { return f.Truncate(size) }

//go:build unix

package cli

import "syscall"

// setNonblock switches the file descriptor fd into or out of non-blocking
// mode, which read deadlines on an *os.File made from it need.
func setNonblock(fd uintptr, nonblocking bool) error {
	return syscall.SetNonblock(int(fd), nonblocking)
}

//go:build !unix

package cli

import "errors"

// setNonblock is unsupported off Unix: stdin stays blocking there, so a
// --stdio session goes without read deadlines.
func setNonblock(fd uintptr, nonblocking bool) error { return errors.ErrUnsupported }

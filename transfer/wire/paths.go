package wire

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on names and paths, in bytes.
const (
	// MaxNameLength is the longest path element (and user name).
	MaxNameLength = 255
	// MaxPathLength is the longest path a client may send.
	MaxPathLength = 4096
)

// CheckName checks that name can be one path element on its own: not
// empty, not "." or "..", valid UTF-8, at most MaxNameLength bytes, and
// free of '/', '\\', NUL and other control characters (C0, DEL, C1). It
// does not normalise: the server checks the NFC form of what it receives.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case name == "." || name == "..":
		return fmt.Errorf("name %q is a directory reference", name)
	case len(name) > MaxNameLength:
		return fmt.Errorf("name is %d bytes long, limit %d", len(name), MaxNameLength)
	case !utf8.ValidString(name):
		return fmt.Errorf("name %q is not valid UTF-8", name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("name %q contains a path separator", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("name %q contains a control character", name)
		}
	}
	return nil
}

// CheckPath checks that p is a relative path of one or more elements
// joined by '/', each a valid name (CheckName), at most MaxPathLength
// bytes in all. A bare name is a path of one element. Leading, trailing
// and doubled slashes are refused (they make an empty element).
func CheckPath(p string) error {
	if len(p) > MaxPathLength {
		return fmt.Errorf("path is %d bytes long, limit %d", len(p), MaxPathLength)
	}
	if strings.HasPrefix(p, "/") {
		return fmt.Errorf("path %q is absolute; send it relative to your storage area", truncateForError(p))
	}
	rest := p
	for {
		elem, tail, more := strings.Cut(rest, "/")
		if err := CheckName(elem); err != nil {
			return fmt.Errorf("path %q: %w", truncateForError(p), err)
		}
		if !more {
			return nil
		}
		rest = tail
	}
}

// truncateForError shortens s for an error message.
func truncateForError(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

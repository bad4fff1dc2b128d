package store

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxNameLength is the longest user or file name, in bytes.
const MaxNameLength = 255

// SafeName checks that name can be used as one path element on its own: not
// empty, not "." or "..", valid UTF-8, at most MaxNameLength bytes, and free
// of '/', '\\', NUL and other control characters.
func SafeName(name string) error {
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

package store

import "github.com/hoist-dev/hoist/transfer/wire"

// MaxNameLength is the longest user name or path element, in bytes.
const MaxNameLength = wire.MaxNameLength

// SafeName checks that name can be used as one path element on its own: not
// empty, not "." or "..", valid UTF-8, at most MaxNameLength bytes, and free
// of '/', '\\', NUL and other control characters (wire.CheckName).
func SafeName(name string) error { return wire.CheckName(name) }

// SafePath checks that p is a relative path of safe names joined by '/',
// at most wire.MaxPathLength bytes (wire.CheckPath). A bare name is a
// path of one element.
func SafePath(p string) error { return wire.CheckPath(p) }

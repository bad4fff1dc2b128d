package store

import "time"

// CallObserver is told of each call a storage backend makes to the
// service behind it (an object store, a database), for metrics.
// Operation is one of a small fixed set of names the backend documents,
// such as "upload_part" or "create_upload"; err is nil for success and
// for answers the backend expects (not found, already exists). Call must
// be safe for concurrent use and return quickly.
type CallObserver interface {
	Call(operation string, d time.Duration, err error)
}

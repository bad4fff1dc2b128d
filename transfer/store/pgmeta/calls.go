package pgmeta

import (
	"errors"
	"time"

	"github.com/hoist-dev/hoist/transfer/store"
)

// Operations are the names under which the store reports its methods to
// a CallObserver (WithCalls): one per method that goes to the database.
var Operations = []string{
	"create_upload", "load_upload", "mark_held", "delete_upload", "untouched_uploads",
	"claim_upload", "release_upload", "complete_files", "query_files", "list_files",
	"remove_files", "reserve_name", "release_name", "name_owner", "usage", "total_usage", "ping",
}

// Option configures Open.
type Option func(*Store)

// WithCalls has the store tell calls of every method that goes to the
// database, named as in Operations, with its duration and error. Errors
// that answer the question asked (no such upload or file, quota exceeded,
// claimed elsewhere, no free name) are reported as success.
func WithCalls(calls store.CallObserver) Option {
	return func(s *Store) { s.calls = calls }
}

// answers are the errors that are the database's answer, not a failure.
var answers = []error{store.ErrNotFound, store.ErrExists, store.ErrQuota, store.ErrFileNotFound, store.ErrNoFreeName, ErrClaimed}

// observe reports the call op that started at start and ended with *err
// to the CallObserver, if any.
func (s *Store) observe(op string, start time.Time, err *error) {
	if s.calls == nil {
		return
	}
	reported := *err
	for _, a := range answers {
		if errors.Is(reported, a) {
			reported = nil
			break
		}
	}
	s.calls.Call(op, time.Since(start), reported)
}

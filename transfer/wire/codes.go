package wire

import "fmt"

// Code classifies an Error response so that a client can tell "try again"
// from "give up".
type Code string

// The codes a server may answer with.
const (
	// CodeUnauthorized: the token is missing, malformed, expired or not signed by the server's key.
	CodeUnauthorized Code = "unauthorized"
	// CodeForbidden: the token is valid but the user may not touch this upload.
	CodeForbidden Code = "forbidden"
	// CodeBadRequest: the message breaks the protocol (bad field, unsafe name, wrong length...).
	CodeBadRequest Code = "bad-request"
	// CodeTooLarge: a file or an upload exceeds a server limit.
	CodeTooLarge Code = "too-large"
	// CodeQuota: storing the upload would exceed the user's quota.
	CodeQuota Code = "quota"
	// CodeConflict: the fid exists with other files, tags or chunk size.
	CodeConflict Code = "conflict"
	// CodeNoFreeName: a file cannot be stored because its name and every
	// variant the server may use instead are taken; retrying cannot help.
	CodeNoFreeName Code = "no-free-name"
	// CodeNotFound: a REMOVE named a path that is not one of the user's
	// files; nothing was removed.
	CodeNotFound Code = "not-found"
	// CodeCorrupt: a chunk's checksum did not match; nothing was stored, resend it.
	CodeCorrupt Code = "corrupt"
	// CodeBusy: the server cannot take this now; reconnect later.
	CodeBusy Code = "busy"
	// CodeInternal: the server failed; reconnect later.
	CodeInternal Code = "internal"
)

// Codes lists every code, in the order PROTOCOL.md documents them.
var Codes = []Code{
	CodeUnauthorized, CodeForbidden, CodeBadRequest, CodeTooLarge, CodeQuota,
	CodeConflict, CodeNoFreeName, CodeNotFound, CodeCorrupt, CodeBusy, CodeInternal,
}

// Retryable reports whether a request answered with c may succeed later
// without the user changing anything.
func (c Code) Retryable() bool {
	switch c {
	case CodeCorrupt, CodeBusy, CodeInternal:
		return true
	}
	return false
}

// Error is an Error response as a Go error. errors.Is matches any *Error with
// the same code, so callers can test against the sentinels below.
type Error struct {
	Code   Code
	Reason string
}

func (e *Error) Error() string {
	if e.Reason == "" {
		return string(e.Code)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Reason)
}

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf returns an *Error with code c and a formatted reason.
func Errorf(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Reason: fmt.Sprintf(format, args...)}
}

// Sentinels for errors.Is, one per code.
var (
	ErrUnauthorized = &Error{Code: CodeUnauthorized}
	ErrForbidden    = &Error{Code: CodeForbidden}
	ErrBadRequest   = &Error{Code: CodeBadRequest}
	ErrTooLarge     = &Error{Code: CodeTooLarge}
	ErrQuota        = &Error{Code: CodeQuota}
	ErrConflict     = &Error{Code: CodeConflict}
	ErrNoFreeName   = &Error{Code: CodeNoFreeName}
	ErrNotFound     = &Error{Code: CodeNotFound}
	ErrCorrupt      = &Error{Code: CodeCorrupt}
	ErrBusy         = &Error{Code: CodeBusy}
	ErrInternal     = &Error{Code: CodeInternal}
)

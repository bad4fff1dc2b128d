package client

import (
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// The engine's errors and resend reasons are shown to people as they are
// (SessionEvent.Err, ChunkEvent.Reason), so they start with what happened
// in plain words, "server busy", "checksum rejected by server", "connection
// dropped", "no answer within 30s", and give the detail after.

// refusal is a server's Error answer worded for people, with the code
// itself when the words do not say it: "server busy: REASON",
// "checksum rejected by server (corrupt): REASON". errors.Is and errors.As
// still find the *wire.Error inside.
type refusal struct{ err *wire.Error }

func (r *refusal) Error() string {
	words := refusalWords(r.err.Code)
	if code := string(r.err.Code); !strings.Contains(words, code) {
		words += " (" + code + ")" // the exact code, for scripts and operators
	}
	if r.err.Reason == "" {
		return words
	}
	return words + ": " + r.err.Reason
}

func (r *refusal) Unwrap() error { return r.err }

// refused words err, a server's Error answer, for people; other errors are
// returned as they are.
func refused(err error) error {
	var we *wire.Error
	if errors.As(err, &we) {
		return &refusal{err: we}
	}
	return err
}

// refusalWords says what an error code means to the person uploading.
func refusalWords(c wire.Code) string {
	switch c {
	case wire.CodeBusy:
		return "server busy"
	case wire.CodeCorrupt:
		return "checksum rejected by server"
	case wire.CodeInternal:
		return "server error"
	case wire.CodeUnauthorized:
		return "token refused by server"
	case wire.CodeForbidden:
		return "not allowed by server"
	case wire.CodeQuota:
		return "over quota"
	case wire.CodeTooLarge:
		return "too large for server"
	case wire.CodeBadRequest:
		return "request refused by server"
	case wire.CodeConflict:
		return "conflicts with an upload of the same id"
	}
	return "refused by server (" + string(c) + ")"
}

// dropped reports whether err means the connection went away under us.
func dropped(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, net.ErrClosed)
}

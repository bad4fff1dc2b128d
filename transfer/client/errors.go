package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"syscall"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// Errors an upload can end with, for errors.Is. Server refusals are
// *wire.Error values (errors.Is(err, wire.ErrQuota), ...).
var (
	// ErrCanceled: the upload was canceled with Cancel.
	ErrCanceled = errors.New("upload canceled")
	// ErrClosed: the engine was closed before the upload finished; its
	// journal entry is kept.
	ErrClosed = errors.New("engine closed")
	// ErrUnknownUpload: no upload with that fid in this engine.
	ErrUnknownUpload = errors.New("no such upload")
	// ErrFileChanged: a local file changed (size or modification time)
	// after the upload started.
	ErrFileChanged = errors.New("file changed during the upload")
	// ErrChecksumMismatch: the server's sha256 of a stored file differs
	// from the local file's.
	ErrChecksumMismatch = errors.New("sha256 mismatch")
	// ErrProtocol: the server broke the protocol.
	ErrProtocol = errors.New("protocol violation by the server")
	// ErrUploadLocked: another hoist process is running this upload.
	ErrUploadLocked = errors.New("upload is running in another hoist process")
)

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// permanent wraps err so that the upload stops instead of reconnecting.
func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// protocolErrorf reports a server that broke the protocol; it is permanent.
func protocolErrorf(format string, args ...any) error {
	return permanent(fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, args...)))
}

// errorKind tells the upload loop what to do after a session ended with err.
type errorKind int

const (
	kindRetry  errorKind = iota // reconnect after a backoff
	kindReauth                  // read the token again, reconnect at once
	kindStop                    // end the upload with err
)

func classify(err error) errorKind {
	var we *wire.Error
	var pe *permanentError
	var ee *exec.Error
	var ce *tls.CertificateVerificationError
	switch {
	case errors.As(err, &pe), errors.As(err, &ee), errors.As(err, &ce), errors.Is(err, context.Canceled):
		// Retrying cannot fix a permanent error, a missing ssh binary or a
		// certificate that does not verify.
		return kindStop
	case errors.As(err, &we):
		switch {
		case we.Code == wire.CodeUnauthorized:
			return kindReauth
		case we.Code.Retryable():
			return kindRetry
		}
		return kindStop
	}
	return kindRetry
}

// dialError explains a failed connection to server: an unknown host is
// final (retrying cannot make a name resolve), a refused connection says
// what to check and is retried within the budget.
func dialError(server string, err error) error {
	var de *net.DNSError
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &rh):
		return permanent(fmt.Errorf("connecting to %s: the server does not speak TLS: use tcp:// (%w)", server, err))
	case errors.As(err, &de) && de.IsNotFound:
		return permanent(fmt.Errorf("connecting to %s: unknown host %q (no such name in DNS): check the server address: %w", server, de.Name, err))
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("connecting to %s: connection refused: is hoist serve running there, on that port? %w", server, err)
	}
	return fmt.Errorf("connecting to %s: %w", server, err)
}

package client

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/hoist-dev/hoist/transfer/wire"
)

func TestRefusalsReadAsWordsAndStillMatch(t *testing.T) {
	t.Parallel()
	for _, c := range wire.Codes {
		err := refused(fmt.Errorf("wrapped: %w", wire.Errorf(c, "the reason")))
		var we *wire.Error
		if !errors.Is(err, &wire.Error{Code: c}) || !errors.As(err, &we) || we.Code != c {
			t.Errorf("%s: the worded error %q no longer matches its code", c, err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, refusalWords(c)) || !strings.Contains(msg, string(c)) || !strings.HasSuffix(msg, ": the reason") {
			t.Errorf("%s reads %q: want the words, the code and the server's reason", c, msg)
		}
		if got := classify(err); got != classify(wire.Errorf(c, "")) {
			t.Errorf("%s: wording changed how the engine reacts (%v)", c, got)
		}
	}
	for c, want := range map[wire.Code]string{
		wire.CodeBusy:       "server busy",
		wire.CodeCorrupt:    "checksum rejected by server (corrupt)",
		wire.CodeBadRequest: "request refused by server (bad-request)",
		wire.CodeQuota:      "over quota",
	} {
		if got := refused(wire.Errorf(c, "")).Error(); got != want {
			t.Errorf("%s reads %q, want %q", c, got, want)
		}
	}
	plain := errors.New("not from the server")
	if refused(plain) != plain {
		t.Error("refused changed an error that is not a server answer")
	}
}

func TestDroppedConnections(t *testing.T) {
	t.Parallel()
	for _, err := range []error{io.EOF, io.ErrUnexpectedEOF, syscall.ECONNRESET, syscall.EPIPE,
		&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, net.ErrClosed} {
		if !dropped(err) {
			t.Errorf("%v is not seen as a dropped connection", err)
		}
	}
	for _, err := range []error{os.ErrDeadlineExceeded, errors.New("other"), wire.ErrBusy} {
		if dropped(err) {
			t.Errorf("%v is seen as a dropped connection", err)
		}
	}
}

package client

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// TestHintForFinalErrors gives each final error README's Troubleshooting
// section explains the advice it gives, as the engine words the error.
func TestHintForFinalErrors(t *testing.T) {
	cases := []struct {
		err    error
		advice string
	}{
		{dialError("tcp://nowhere.invalid:7800", fmt.Errorf("dial: %w",
			&net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true})), "does not resolve"},
		{errSpeaksTLS("127.0.0.1:7800", errors.New("unexpected EOF")), "tls:// address"},
		{errors.New("connecting to tls://127.0.0.1:7800: the server does not speak TLS: use tcp:// (tls: first record does not look like a TLS handshake)"), "tcp:// address"},
		{permanent(errors.New("hoist is not installed on files.example; see --remote-command (exit status 127)")), "--remote-command"},
		{refused(&wire.Error{Code: wire.CodeNoFreeName, Reason: `no free name for "a.txt"`}), "rename the file"},
		{fmt.Errorf("upload 1: %s", refused(&wire.Error{Code: wire.CodeNoFreeName})), "rename the file"},
		{fmt.Errorf("giving up after 10s without progress (4 attempts, retry budget 10s): %w",
			errors.New("connecting to tcp://127.0.0.1:1: connection refused")), "hoist send --resume"},
		{&UploadLockedError{FID: "b003eb4d", PID: 4242}, "wait for it to end"},
		{fmt.Errorf("%w: the server is too old to drop partial uploads", ErrPartialKept), "partial expiry"},
		{refused(&wire.Error{Code: wire.CodeQuota}), "--discard"},
	}
	for _, tc := range cases {
		if got := Hint(tc.err); !strings.Contains(strings.ToLower(got), strings.ToLower(tc.advice)) {
			t.Errorf("Hint(%q) = %q, want advice with %q", tc.err, got, tc.advice)
		}
	}
	if got := Hint(errors.New("something nobody foresaw")); got != "" {
		t.Errorf("advice for an unknown error: %q", got)
	}
}

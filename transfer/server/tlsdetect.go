package server

import (
	"crypto/tls"
	"errors"
	"time"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// errTLSOnPlain: the first bytes of a connection are a TLS handshake.
var errTLSOnPlain = errors.New("client speaks TLS on a plain listener")

// checkNotTLS looks at the first bytes of a connection: a TLS ClientHello
// starts with a handshake record, 0x16 then version 0x03 0x00 to 0x04,
// where a hoist frame starts with 0x02.
func (s *session) checkNotTLS() error {
	if b, err := s.br.Peek(1); err != nil || b[0] != 0x16 {
		return nil
	}
	if b, err := s.br.Peek(3); err == nil && b[1] == 0x03 && b[2] <= 0x04 {
		return errTLSOnPlain
	}
	return nil
}

var (
	errStopped  = errors.New("stopped")
	errNoBudget = errors.New("no memory budget for another unauthenticated frame")
)

// answerPlainOnTLS answers, unencrypted, a client that sent a plain hoist
// frame to a TLS listener (as net/http answers HTTP sent to HTTPS), so
// that it reads an Error that says to use tls:// instead of a closed
// connection.
func (s *session) answerPlainOnTLS(err error) {
	var rhe tls.RecordHeaderError
	if !errors.As(err, &rhe) || rhe.Conn == nil || rhe.RecordHeader[0] != wire.MessageData {
		return
	}
	s.log.Warn("client speaks plain hoist to a TLS listener: it must use tls:// here")
	// TLS has buffered the rest of the frame out of reach: the answer's
	// message-id is empty, as for any request that could not be read.
	b, _ := appendReply(nil, &reply{err: wire.Errorf(wire.CodeBadRequest, "this listener speaks TLS: use tls:// for this address")})
	rhe.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	w := wire.NewWriter(rhe.Conn)
	if w.WriteFrame(wire.TypeResponse, b) == nil {
		w.Flush()
	}
}

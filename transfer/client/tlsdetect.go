package client

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"time"
)

// headReader remembers the first bytes read through it: a plain client
// that reaches a TLS server can recognise a TLS record there.
type headReader struct {
	r    io.Reader
	head []byte
}

func (h *headReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if need := 3 - len(h.head); need > 0 && n > 0 {
		h.head = append(h.head, p[:min(n, need)]...)
	}
	return n, err
}

// looksLikeTLS reports whether head starts a TLS record: a handshake (0x16)
// or an alert (0x15), then major version 3.
func looksLikeTLS(head []byte) bool {
	return len(head) >= 2 && (head[0] == 0x15 || head[0] == 0x16) && head[1] == 0x03
}

// errSpeaksTLS is the final error for a tcp:// server that speaks TLS.
func errSpeaksTLS(addr string, cause error) error {
	return permanent(fmt.Errorf("the server speaks TLS: use tls://%s (%w)", addr, cause))
}

// tlsProbeTimeout bounds the handshake that checks whether a tcp:// server
// that hung up on the authentication speaks TLS.
const tlsProbeTimeout = 3 * time.Second

// speaksTLS reports whether the server at addr completes a TLS handshake.
// It only looks: nothing is sent over the connection, so the certificate is
// not verified.
func speaksTLS(ctx context.Context, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, tlsProbeTimeout)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // a probe: no data is exchanged
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

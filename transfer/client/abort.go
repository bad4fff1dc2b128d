package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// ErrPartialKept: an upload was given up here, but the server did not drop
// its partial data (an older server that cannot, or one that could not be
// reached); the server forgets it after its partial expiry (7 days by
// default), and its quota reservation lasts until then.
var ErrPartialKept = errors.New("the server keeps the partial upload until it expires")

// abortTimeout bounds the whole exchange that asks a server to drop an
// upload: giving up must not hang on a server that is gone.
const abortTimeout = 10 * time.Second

// sendAbort asks server to drop the unfinished upload fid (an AUTHENTICATION
// with "abort": true, PROTOCOL.md §3.1). nil means the server holds no
// unfinished upload fid any more; any other outcome wraps ErrPartialKept.
func (e *Engine) sendAbort(ctx context.Context, server, fid string) error {
	ctx, cancel := context.WithTimeout(ctx, min(abortTimeout, e.opts.ReadTimeout))
	defer cancel()
	kept := func(why string, err error) error {
		return fmt.Errorf("%w: %s: %w", ErrPartialKept, why, err)
	}
	ep, err := parseServer(server)
	if err != nil {
		return kept("bad server address", err)
	}
	token, err := e.opts.Token.Token(ctx)
	if err != nil {
		return kept("reading the token", err)
	}
	c, _, err := e.dialer.dial(ctx, ep)
	if err != nil {
		return kept("could not reach the server", dialError(server, err))
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	a := wire.Authentication{MessageID: uuid.NewString(), Token: token, FID: fid, Abort: true}
	payload, err := wire.EncodeJSON(&a)
	if err != nil {
		return kept("encoding the request", err)
	}
	w := wire.NewWriter(c)
	err = w.WriteFrame(wire.TypeAuthentication, payload)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return kept("sending the request", err)
	}
	fr, err := wire.NewReader(c).ReadFrame()
	if err != nil {
		return kept("reading the answer", err)
	}
	resp, err := decodeResponse(fr)
	if err != nil {
		return kept("reading the answer", err)
	}
	if err := resp.Err(); err != nil {
		if errors.Is(err, wire.ErrBadRequest) {
			// What a server older than the abort request answers.
			return kept("the server is too old to drop partial uploads", err)
		}
		return kept("the server refused", err)
	}
	if !resp.Aborted {
		return kept("the server did not confirm", errors.New("its Ok lacks \"aborted\""))
	}
	return nil
}

package client

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"net"
	"sync"
	"testing"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// testPeer is a minimal in-memory protocol peer for the two behaviours a
// correct server never shows and its fault seam cannot produce:
// swallowing one answer while answering others, and reporting a wrong
// sha256. Everything else is tested against the real server.
type testPeer struct {
	t         *testing.T
	ln        net.Listener
	chunkSize int
	raw       bool
	// act decides how to answer the n-th arrival (from 1) of a chunk.
	act func(file int, index uint64, n int) peerAction
	// knowsAbort makes the peer drop the upload on an abort request, as a
	// current server does; otherwise it answers bad-request, as older ones.
	knowsAbort bool

	mu     sync.Mutex
	files  []wire.FileInfo
	data   [][]byte
	held   [][]bool
	seen   map[chunkRef]int
	aborts int // abort requests received
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
}

type peerAction int

const (
	peerOK       peerAction = iota
	peerSilent              // store nothing, answer nothing
	peerWrongSHA            // store, but report a wrong digest on completion
)

func startPeer(t *testing.T, chunkSize int) *testPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &testPeer{t: t, ln: ln, chunkSize: chunkSize, raw: true, seen: map[chunkRef]int{}, conns: map[net.Conn]bool{}}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

func (p *testPeer) addr() string { return "tcp://" + p.ln.Addr().String() }

func (p *testPeer) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

func (p *testPeer) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		p.conns[c] = true
		p.mu.Unlock()
		p.wg.Go(func() {
			defer func() {
				p.mu.Lock()
				delete(p.conns, c)
				p.mu.Unlock()
				c.Close()
			}()
			p.serve(c)
		})
	}
}

func (p *testPeer) serve(c net.Conn) {
	r, w := wire.NewReader(c), wire.NewWriter(c)
	answer := func(resp *wire.Response) error {
		payload, _ := wire.EncodeJSON(resp)
		if err := w.WriteFrame(wire.TypeResponse, payload); err != nil {
			return err
		}
		return w.Flush()
	}
	fr, err := r.ReadFrame()
	if err != nil || fr.Type != wire.TypeAuthentication {
		return
	}
	a, err := wire.DecodeAuthentication(fr.Payload)
	if err != nil {
		return
	}
	if a.Abort {
		answer(p.abort(a))
		return
	}
	if answer(p.authenticate(a)) != nil {
		return
	}
	for {
		fr, err := r.ReadFrame()
		if err != nil {
			return
		}
		var tr wire.Transfer
		switch fr.Type {
		case wire.TypeTransfer:
			err = wire.DecodeTransfer(fr.Payload, &tr)
		case wire.TypeTransferRaw:
			err = wire.DecodeRawTransfer(fr.Payload, &tr)
		default:
			err = errors.New("unexpected frame")
		}
		if err != nil {
			return
		}
		if resp := p.transfer(&tr); resp != nil && answer(resp) != nil {
			return
		}
	}
}

func (p *testPeer) authenticate(a *wire.Authentication) *wire.Response {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.files == nil {
		p.files = a.Files
		for _, f := range a.Files {
			p.data = append(p.data, make([]byte, f.Size))
			p.held = append(p.held, make([]bool, wire.ChunkCount(f.Size, p.chunkSize)))
		}
	}
	resp := wire.OKResponse(a.MessageID)
	resp.ChunkSize = p.chunkSize
	if p.raw {
		resp.Extensions = []string{wire.ExtensionRawTransfer}
	}
	for i, held := range p.held {
		var missing []wire.Range
		for k, h := range held {
			if h {
				continue
			}
			if n := len(missing); n > 0 && missing[n-1][1] == uint64(k) {
				missing[n-1][1]++
			} else {
				missing = append(missing, wire.Range{uint64(k), uint64(k) + 1})
			}
		}
		if missing == nil {
			missing = []wire.Range{}
			resp.Complete = append(resp.Complete, wire.FileDigest{File: i, SHA256: p.digest(i)})
		}
		resp.Missing = append(resp.Missing, missing)
	}
	return resp
}

// abort answers an abort request.
func (p *testPeer) abort(a *wire.Authentication) *wire.Response {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.aborts++
	if !p.knowsAbort {
		return wire.ErrorResponse(a.MessageID, wire.Errorf(wire.CodeBadRequest, "an upload needs at least one file"))
	}
	p.files, p.data, p.held = nil, nil, nil
	resp := wire.OKResponse(a.MessageID)
	resp.Aborted = true
	return resp
}

func (p *testPeer) abortRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.aborts
}

func (p *testPeer) digest(i int) string {
	sum := sha256.Sum256(p.data[i])
	return hex.EncodeToString(sum[:])
}

func (p *testPeer) transfer(tr *wire.Transfer) (resp *wire.Response) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ref := chunkRef{tr.File, tr.Index}
	p.seen[ref]++
	act := peerOK
	if p.act != nil {
		act = p.act(tr.File, tr.Index, p.seen[ref])
	}
	if act == peerSilent {
		return nil
	}
	if tr.CRC32C == nil || *tr.CRC32C != crc32.Checksum(tr.Data, crc32.MakeTable(crc32.Castagnoli)) {
		return wire.ErrorResponse(tr.MessageID, wire.Errorf(wire.CodeCorrupt, "crc32c mismatch"))
	}
	off, n := wire.ChunkBounds(p.files[tr.File].Size, p.chunkSize, tr.Index)
	if n != len(tr.Data) {
		return wire.ErrorResponse(tr.MessageID, wire.Errorf(wire.CodeBadRequest, "wrong length"))
	}
	copy(p.data[tr.File][off:], tr.Data)
	resp = wire.OKResponse(tr.MessageID)
	if p.held[tr.File][tr.Index] {
		return resp
	}
	p.held[tr.File][tr.Index] = true
	for _, h := range p.held[tr.File] {
		if !h {
			return resp
		}
	}
	resp.File = &tr.File
	resp.SHA256 = p.digest(tr.File)
	if act == peerWrongSHA {
		resp.SHA256 = hex.EncodeToString(make([]byte, 32))
	}
	return resp
}

// arrivals reports how often the peer received chunk ref.
func (p *testPeer) arrivals(ref chunkRef) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[ref]
}

// stored returns a copy of what the peer holds of file i.
func (p *testPeer) stored(i int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.data[i]...)
}

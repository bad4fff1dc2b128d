package server_test

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// hugeAuthentication is an AUTHENTICATION payload of exactly
// wire.MaxPayload bytes: token and fid, then as many empty file objects as
// fit (about 2.7 million), padded with JSON whitespace.
func hugeAuthentication(token string) []byte {
	head := `{"message-id":"huge","token":"` + token + `","fid":"` + uuid.NewString() + `","files":[`
	var b bytes.Buffer
	b.Grow(wire.MaxPayload)
	b.WriteString(head)
	b.WriteString("{}")
	for b.Len()+len(",{}")+len("]}") <= wire.MaxPayload {
		b.WriteString(",{}")
	}
	b.WriteString("]")
	for b.Len()+1 < wire.MaxPayload {
		b.WriteByte(' ')
	}
	b.WriteString("}")
	return b.Bytes()
}

// floodAuthentications sends payload as an AUTHENTICATION rounds times on
// each of conns connections, reading each answer; it returns the codes
// answered.
func floodAuthentications(addr string, payload []byte, conns, rounds int) (map[wire.Code]int, error) {
	var mu sync.Mutex
	codes := map[wire.Code]int{}
	var errs []error
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			err := func() error {
				conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
				if err != nil {
					return err
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(5 * time.Minute))
				r, w := wire.NewReader(conn), wire.NewWriter(conn)
				for range rounds {
					if err := w.WriteFrame(wire.TypeAuthentication, payload); err != nil {
						return err
					}
					if err := w.Flush(); err != nil {
						return err
					}
					f, err := r.ReadFrame()
					if err != nil {
						return err
					}
					resp, err := wire.DecodeResponse(f.Payload)
					if err != nil {
						return err
					}
					mu.Lock()
					codes[resp.Code]++
					mu.Unlock()
					if resp.Code == wire.CodeBusy {
						return nil // closed by the server
					}
				}
				return nil
			}()
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return codes, errors.Join(errs...)
}

// TestMemoryBeforeAuthentication: 64 connections sending AUTHENTICATIONs
// of the largest size, twice each, half with a valid token and half
// without, keep the server's peak resident set under 256 MB (1 GB under
// -race), and a normal client's upload is served meanwhile. The figure is
// logged (go test -v).
func TestMemoryBeforeAuthentication(t *testing.T) {
	t.Parallel()
	// Connections wait for the budget (up to the frame timeout) instead of
	// being refused busy: give them time on a slow machine.
	child := startChild(t, server.Limits{FrameTimeout: 5 * time.Minute}, 0)
	rounds := 2
	if raceEnabled {
		rounds = 1 // the race detector makes scanning 8 MB slow
	}
	valid, invalid := hugeAuthentication(child.token("mallory")), hugeAuthentication("not-a-token")
	var wg sync.WaitGroup
	var codesValid, codesInvalid map[wire.Code]int
	var errValid, errInvalid error
	wg.Go(func() { codesValid, errValid = floodAuthentications(child.addr, valid, 32, rounds) })
	wg.Go(func() { codesInvalid, errInvalid = floodAuthentications(child.addr, invalid, 32, rounds) })
	f := randomFile(t, "meanwhile.bin", 200_000)
	sums := uploadVia(t, dialAddr(t, child.addr), child.token("alice"), []file{f}, nil)
	wg.Wait()
	if sums[0] != sha(f.data) {
		t.Errorf("normal upload: sha256 %s, want %s", sums[0], sha(f.data))
	}
	if errValid != nil || errInvalid != nil {
		t.Errorf("flood connections failed: %v", errors.Join(errValid, errInvalid))
	}
	if codesValid[wire.CodeTooLarge] == 0 || codesInvalid[wire.CodeUnauthorized] == 0 {
		t.Errorf("answers: valid token %v, invalid token %v; want too-large and unauthorized", codesValid, codesInvalid)
	}
	hwm := child.stop()
	t.Logf("peak RSS of the server: %.1f MB (answers: valid token %v, invalid %v)", float64(hwm)/1000, codesValid, codesInvalid)
	bound := int64(256_000)
	if raceEnabled {
		bound *= 4 // the race detector's shadow memory
	}
	if hwm <= 0 || hwm > bound {
		t.Fatalf("peak RSS %d kB, want under %d MB", hwm, bound/1000)
	}
}

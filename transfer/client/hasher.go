package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// hashResult is the local sha256 of one file, or why it could not be taken.
type hashResult struct {
	file int
	sha  string
	err  error
}

// hashBuffers is how many chunk buffers an upload cycles through: one being
// read and sent while the others wait for, or are in, the hasher.
const hashBuffers = 3

// hashGapBuffer is the buffer the hasher reads with when it must read part
// of a file itself.
const hashGapBuffer = 1 << 20

// hashJob hands the hasher the bytes of chunk index of f as they were read
// for sending (data), or, with data nil, asks it to finish f from disk.
// Chunks reach the hasher in increasing order per file; whatever lies
// between the last chunk hashed and index (chunks the server already held
// when the upload resumed) it reads from the file itself.
type hashJob struct {
	f         *upFile
	chunkSize int
	index     uint64 // == f.chunks with data nil: hash to the end
	data      []byte
}

// chunkHasher computes each file's sha256 from the bytes the sender reads,
// so that a file is read once: the upload goroutine reads a chunk into a
// buffer from the pool, sends it, and, if it is the first read of the next
// chunk of its file, passes the buffer to the hasher goroutine, which hashes
// it and returns the buffer. Results go to results, one per file.
type chunkHasher struct {
	ctx       context.Context
	jobs      chan hashJob
	free      chan []byte
	allocated int
	results   chan<- hashResult
	// Owned by the hasher goroutine.
	state map[int]*fileHash
	gap   []byte
}

// fileHash is the hasher's progress through one file.
type fileHash struct {
	d    hash.Hash
	next uint64 // the next chunk to hash
	off  uint64 // bytes hashed
	done bool
}

func newChunkHasher(ctx context.Context, files int, results chan<- hashResult) *chunkHasher {
	return &chunkHasher{
		ctx:     ctx,
		jobs:    make(chan hashJob, hashBuffers+files),
		free:    make(chan []byte, hashBuffers),
		results: results,
		state:   make(map[int]*fileHash),
	}
}

// buffer returns a chunk buffer of at least n bytes, waiting for the hasher
// to give one back when all are in use.
func (h *chunkHasher) buffer(n int) ([]byte, error) {
	for {
		var b []byte
		select {
		case b = <-h.free:
		default:
			if h.allocated < hashBuffers {
				h.allocated++
				return make([]byte, n), nil
			}
			select {
			case b = <-h.free:
			case <-h.ctx.Done():
				return nil, h.ctx.Err()
			}
		}
		if cap(b) >= n {
			return b[:n], nil
		}
		h.allocated-- // too small for this chunk size: drop it
	}
}

// recycle gives back a buffer that did not go to the hasher.
func (h *chunkHasher) recycle(b []byte) {
	select {
	case h.free <- b:
	default:
	}
}

// submit queues a job; jobs is sized so that this never waits for long.
func (h *chunkHasher) submit(j hashJob) error {
	select {
	case h.jobs <- j:
		return nil
	case <-h.ctx.Done():
		return h.ctx.Err()
	}
}

// run hashes jobs until ctx ends.
func (h *chunkHasher) run() {
	for {
		select {
		case j := <-h.jobs:
			h.hash(j)
			if j.data != nil {
				h.recycle(j.data)
			}
		case <-h.ctx.Done():
			return
		}
	}
}

func (h *chunkHasher) hash(j hashJob) {
	f := j.f
	st := h.state[f.index]
	if st == nil {
		st = &fileHash{d: sha256.New()}
		h.state[f.index] = st
	}
	if st.done || j.index < st.next {
		return
	}
	end := min(j.index*uint64(j.chunkSize), f.size)
	if err := h.readGap(f, st, end); err != nil {
		h.finish(f, st, "", err)
		return
	}
	if j.data != nil {
		st.d.Write(j.data)
		st.off += uint64(len(j.data))
		st.next = j.index + 1
	} else {
		st.next = j.index
	}
	if st.next < f.chunks {
		return
	}
	if st.off != f.size {
		h.finish(f, st, "", fmt.Errorf("%s: %w: read %d bytes, expected %d", f.path, ErrFileChanged, st.off, f.size))
		return
	}
	if err := f.checkUnchanged(); err != nil {
		h.finish(f, st, "", err)
		return
	}
	h.finish(f, st, hex.EncodeToString(st.d.Sum(nil)), nil)
}

// readGap hashes the bytes of f from st.off up to end, reading them from
// the file: chunks the sender never read because the server held them.
func (h *chunkHasher) readGap(f *upFile, st *fileHash, end uint64) error {
	if st.off >= end {
		return nil
	}
	if h.gap == nil {
		h.gap = make([]byte, hashGapBuffer)
	}
	for st.off < end {
		if err := h.ctx.Err(); err != nil {
			return err
		}
		b := h.gap[:min(uint64(len(h.gap)), end-st.off)]
		n, err := f.f.ReadAt(b, int64(st.off))
		st.d.Write(b[:n])
		st.off += uint64(n)
		if errors.Is(err, io.EOF) && n < len(b) {
			return fmt.Errorf("%s: %w: it is shorter than %d bytes now", f.path, ErrFileChanged, f.size)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: %w", f.path, err)
		}
	}
	return nil
}

// finish sends f's one result.
func (h *chunkHasher) finish(f *upFile, st *fileHash, sha string, err error) {
	st.done = true
	st.d = nil
	h.results <- hashResult{file: f.index, sha: sha, err: err}
}

// feed passes the bytes just read and sent for chunk index of f to the
// hasher if they are the first read of that chunk in file order; it reports
// whether it took data (which the hasher recycles), else the caller keeps
// the buffer.
func (u *upload) feed(f *upFile, index uint64, data []byte) (bool, error) {
	if index < f.hashFed || f.state == FileFailed {
		return false, nil
	}
	f.hashFed = index + 1
	return true, u.hasher.submit(hashJob{f: f, chunkSize: u.chunkSize, index: index, data: data})
}

// hashRest asks the hasher to finish a file the server holds entirely but
// whose end the sender never read (it resumed after the server held it).
func (u *upload) hashRest(f *upFile) {
	if f.hashAsked || f.f == nil || f.chunks > 0 && f.hashFed >= f.chunks {
		return
	}
	f.hashAsked = true
	f.hashFed = f.chunks
	// jobs holds a slot per file: this only fails when the upload ends.
	_ = u.hasher.submit(hashJob{f: f, chunkSize: u.chunkSize, index: f.chunks})
}

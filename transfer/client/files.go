package client

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// Per-chunk bookkeeping: the low bits hold the ChunkState shown in maps,
// chunkEverSent marks a chunk this engine has written at least once (so the
// next write is a resend).
const (
	chunkStateMask byte = 0x03
	chunkEverSent  byte = 0x80
)

// upFile is one file of an upload, as the upload goroutine sees it.
type upFile struct {
	index   int
	path    string
	name    string
	size    uint64
	modTime time.Time
	f       *os.File

	chunks      uint64 // 0 until the chunk size is known
	cells       []byte // per chunk: ChunkState | chunkEverSent
	ackedChunks uint64
	ackedBytes  uint64
	inFlight    int
	retries     int
	// hashFed is the next chunk the hasher gets from the sender (chunks
	// below it were read and hashed); hashAsked: it was asked to read the
	// rest of the file itself.
	hashFed   uint64
	hashAsked bool

	state     FileState
	serverSHA string
	stored    string // the path the server stored the file under, once complete
	localSHA  string
	err       error

	// cachedMap is the last chunk map; snapshots share it (it is never
	// modified) until a chunk state changes.
	cachedMap []ChunkState
	mapStale  bool
}

func newUpFile(i int, jf JournalFile) *upFile {
	return &upFile{index: i, path: jf.Path, name: jf.Name, size: jf.Size, modTime: jf.ModTime}
}

// statLocal describes the file at path as the journal records it.
func statLocal(path string) (size uint64, modTime time.Time, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, time.Time{}, err
	}
	if !fi.Mode().IsRegular() {
		return 0, time.Time{}, fmt.Errorf("%s is not a regular file", path)
	}
	return uint64(fi.Size()), fi.ModTime(), nil
}

// checkUnchanged compares the file on disk with what the upload started
// from. The error names the file and says what changed.
func (f *upFile) checkUnchanged() error {
	size, mt, err := statLocal(f.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w: it was removed", f.path, ErrFileChanged)
	case err != nil:
		return fmt.Errorf("%s: %w", f.path, err)
	case size != f.size:
		return fmt.Errorf("%s: %w: size is %d bytes, was %d", f.path, ErrFileChanged, size, f.size)
	case !mt.Equal(f.modTime):
		return fmt.Errorf("%s: %w: modified at %s, was %s", f.path, ErrFileChanged,
			mt.Format(time.RFC3339Nano), f.modTime.Format(time.RFC3339Nano))
	}
	return nil
}

// open opens the file for positional reads, after checking it is unchanged.
func (f *upFile) open() error {
	if err := f.checkUnchanged(); err != nil {
		return err
	}
	h, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	f.f = h
	return nil
}

func (f *upFile) close() {
	if f.f != nil {
		f.f.Close()
		f.f = nil
	}
}

// setChunkSize sizes the chunk table once the server fixed the chunk size.
func (f *upFile) setChunkSize(n int) {
	f.chunks = wire.ChunkCount(f.size, n)
	f.cells = make([]byte, f.chunks)
}

func (f *upFile) chunkState(i uint64) ChunkState { return ChunkState(f.cells[i] & chunkStateMask) }

func (f *upFile) setChunkState(i uint64, s ChunkState) {
	f.cells[i] = f.cells[i]&^chunkStateMask | byte(s)
	f.mapStale = true
}

// terminal reports whether nothing more will happen to the file.
func (f *upFile) terminal() bool { return f.state == FileVerified || f.state == FileFailed }

// allHeld reports whether the server holds every chunk.
func (f *upFile) allHeld() bool { return f.cells != nil && f.ackedChunks == f.chunks }

// fail marks the file failed with err, unless it already ended.
func (f *upFile) fail(err error) {
	if f.terminal() {
		return
	}
	f.state = FileFailed
	f.err = err
	f.inFlight = 0
}

// chunkMap summarises the chunk states into at most MaxMapCells cells; a
// cell shows the most notable state among its chunks.
func (f *upFile) chunkMap() []ChunkState {
	if f.chunks == 0 || f.cells == nil {
		return nil
	}
	if f.cachedMap != nil && !f.mapStale {
		return f.cachedMap
	}
	f.cachedMap, f.mapStale = f.buildMap(), false
	return f.cachedMap
}

func (f *upFile) buildMap() []ChunkState {
	n := min(f.chunks, MaxMapCells)
	out := make([]ChunkState, n)
	for c := range n {
		lo, hi := c*f.chunks/n, (c+1)*f.chunks/n
		best := f.chunkState(lo)
		for i := lo + 1; i < hi && best != ChunkRetrying; i++ {
			if s := f.chunkState(i); notability[s] > notability[best] {
				best = s
			}
		}
		out[c] = best
	}
	return out
}

// notability ranks chunk states for the map: resent, in flight, missing, held.
var notability = [4]int{ChunkMissing: 1, ChunkInFlight: 2, ChunkHeld: 0, ChunkRetrying: 3}

func (f *upFile) progress(chunkSize int) FileProgress {
	fp := FileProgress{
		Index: f.index, Name: f.name, Path: f.path, Size: f.size, ChunkSize: chunkSize,
		Chunks: f.chunks, AckedChunks: f.ackedChunks, AckedBytes: f.ackedBytes,
		InFlight: f.inFlight, Retries: f.retries, State: f.state, Err: f.err, Stored: f.stored,
		Map: f.chunkMap(),
	}
	if f.state == FileVerified {
		fp.SHA256 = f.localSHA
	}
	return fp
}

package client

import (
	"encoding/json"
	"math/bits"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Chunk sizes the engine picks by itself, within Options.ChunkSize: it aims
// for a chunk to cross the link in about chunkSeconds at the throughput it
// last measured to that server, so that progress stays steady and no frame
// takes long on a slow link. A server it has not measured gets
// unmeasuredChunkSize, which a 24 KiB/s link carries in about ten seconds.
const (
	// MinChunkSize is the smallest chunk size the engine picks by itself.
	MinChunkSize        = 16 << 10
	unmeasuredChunkSize = 256 << 10
	chunkSeconds        = 2
	// linkMemory is how long a measured throughput is trusted.
	linkMemory = 7 * 24 * time.Hour
)

// chunkAsk is the chunk size to ask for: the largest power of two that
// crosses the link in about chunkSeconds at rate (bytes per second; 0 for
// unknown), between MinChunkSize and limit.
func chunkAsk(limit int, rate float64) int {
	ask := unmeasuredChunkSize
	if rate > 0 {
		target := uint64(rate * chunkSeconds)
		ask = MaxChunkSize
		if target < MaxChunkSize {
			ask = 1 << (bits.Len64(max(target, 1)) - 1) // round down to a power of two
		}
	}
	return min(max(ask, MinChunkSize), limit)
}

// linkBook remembers the throughput measured to each server, in
// <journal>/links.json, so that a new process starts with a fitting chunk
// size.
type linkBook struct {
	path string

	mu    sync.Mutex
	rates map[string]linkRate
}

type linkRate struct {
	// BytesPerSecond is the acknowledged chunk bytes per second of the last
	// session that sent at least a chunk.
	BytesPerSecond float64   `json:"bytes-per-second"`
	Measured       time.Time `json:"measured"`
}

// openLinkBook reads dir/links.json; a missing or unreadable book is empty.
func openLinkBook(dir string) *linkBook {
	b := &linkBook{path: filepath.Join(dir, "links.json"), rates: map[string]linkRate{}}
	if data, err := os.ReadFile(b.path); err == nil {
		_ = json.Unmarshal(data, &b.rates) // a damaged book only costs a guess
	}
	return b
}

// rate is the throughput last measured to server, 0 when unknown or old.
func (b *linkBook) rate(server string, now time.Time) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.rates[server]
	if !ok || now.Sub(r.Measured) > linkMemory {
		return 0
	}
	return r.BytesPerSecond
}

// observe records a throughput measured to server and saves the book.
func (b *linkBook) observe(server string, rate float64, now time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rates[server] = linkRate{BytesPerSecond: rate, Measured: now.UTC()}
	data, err := json.MarshalIndent(b.rates, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(b.path), ".links.*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	_, err = tmp.Write(append(data, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), b.path)
	}
	return err
}

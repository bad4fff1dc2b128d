package tui

import (
	"errors"
	"time"

	"github.com/hoist-dev/hoist/transfer/client"
)

// retryChunkSize is the chunk size of the scripted upload.
const retryChunkSize = 64 << 10

// chunkMap returns a map of n chunks: held below acked, then inflight
// in flight, then resent ones, then missing.
func chunkMap(n, acked, inflight, resent int) []client.ChunkState {
	m := make([]client.ChunkState, n)
	for i := range m {
		switch {
		case i < acked:
			m[i] = client.ChunkHeld
		case i < acked+inflight:
			m[i] = client.ChunkInFlight
		case i < acked+inflight+resent:
			m[i] = client.ChunkRetrying
		}
	}
	return m
}

// retryScript is an upload of notes.txt (2 KiB) and beach.jpg (3 MiB, 48
// chunks) whose connection dropped: notes.txt is verified, beach.jpg is
// part way, a chunk was resent after a corrupt answer, and the engine is
// backing off before its second attempt.
func retryScript(fid string) []client.Event {
	at := func(d time.Duration) time.Time { return fixedNow.Add(d) }
	notes := func(state client.FileState, acked uint64) client.FileProgress {
		fp := client.FileProgress{Index: 0, Name: "notes.txt", Size: 2048, ChunkSize: retryChunkSize,
			Chunks: 1, AckedChunks: acked, AckedBytes: acked * 2048, State: state, Map: chunkMap(1, int(acked), 0, 0)}
		if state == client.FileVerified {
			fp.SHA256 = "3b5d3c7d207e37dceeedd301e35e2e58408c9a5d2d3d6e5f1a2b3c4d5e6f7a8b"
		}
		return fp
	}
	beach := func(acked, inflight, resent, retries int) client.FileProgress {
		return client.FileProgress{Index: 1, Name: "beach.jpg", Size: 3 << 20, ChunkSize: retryChunkSize,
			Chunks: 48, AckedChunks: uint64(acked), AckedBytes: uint64(acked) * retryChunkSize,
			InFlight: inflight, Retries: retries, State: client.FileSending, Map: chunkMap(48, acked, inflight, resent)}
	}
	return []client.Event{
		&client.SessionEvent{FID: fid, At: at(-20 * time.Second), State: client.StateConnecting, Attempt: 1},
		&client.SessionEvent{FID: fid, At: at(-19 * time.Second), State: client.StateSending, Attempt: 1},
		&client.ProgressEvent{FID: fid, At: at(-10 * time.Second), State: client.StateSending,
			Files: []client.FileProgress{notes(client.FileVerified, 1), beach(10, 4, 0, 0)}},
		&client.ChunkEvent{FID: fid, At: at(-5 * time.Second), File: 1, Index: 24, Action: client.ChunkResent, Reason: "corrupt: crc32c mismatch"},
		&client.ProgressEvent{FID: fid, At: at(-2 * time.Second), State: client.StateSending,
			Files: []client.FileProgress{notes(client.FileVerified, 1), beach(30, 4, 1, 1)}},
		&client.SessionEvent{FID: fid, At: at(-time.Second), State: client.StateBackingOff, Attempt: 2,
			RetryAt: at(4 * time.Second), Err: errors.New("read tcp 127.0.0.1:51234->127.0.0.1:7800: read: connection reset by peer")},
	}
}

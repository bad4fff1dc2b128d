package wire

import (
	"math"
	"testing"
)

// TestChunkCountAtBoundaries checks ChunkCount against ceil(size/chunkSize)
// worked out by hand around the multiples of the chunk size, and against
// ChunkBounds: the chunks it counts cover the file exactly, none is empty.
func TestChunkCountAtBoundaries(t *testing.T) {
	const cs = 4096
	cases := []struct {
		size uint64
		want uint64
	}{
		{0, 0},
		{1, 1},
		{cs - 1, 1},
		{cs, 1},
		{cs + 1, 2},
		{2*cs - 1, 2},
		{2 * cs, 2},
		{2*cs + 1, 3},
		{math.MaxUint64, math.MaxUint64/cs + 1},
		{math.MaxUint64 - math.MaxUint64%cs, math.MaxUint64 / cs},
	}
	for _, c := range cases {
		if got := ChunkCount(c.size, cs); got != c.want {
			t.Errorf("ChunkCount(%d, %d) = %d, want %d", c.size, cs, got, c.want)
		}
	}
	for _, size := range []uint64{1, cs - 1, cs, cs + 1, 3 * cs, 3*cs + 7} {
		n := ChunkCount(size, cs)
		var covered uint64
		for i := range n {
			off, length := ChunkBounds(size, cs, i)
			if off != covered || length <= 0 {
				t.Fatalf("size %d: chunk %d of %d is [%d,+%d), want it to start at %d and hold bytes", size, i, n, off, length, covered)
			}
			covered += uint64(length)
		}
		if covered != size {
			t.Errorf("size %d: %d chunks cover %d bytes", size, n, covered)
		}
		if _, length := ChunkBounds(size, cs, n); length != 0 {
			t.Errorf("size %d: chunk %d past the count still holds %d bytes", size, n, length)
		}
	}
	for _, bad := range []int{0, -1} {
		if got := ChunkCount(10, bad); got != 0 {
			t.Errorf("ChunkCount(10, %d) = %d, want 0", bad, got)
		}
	}
}

// TestCRC32CIsCastagnoli checks the published CRC-32C check value.
func TestCRC32CIsCastagnoli(t *testing.T) {
	if got := CRC32C([]byte("123456789")); got != 0xe3069283 {
		t.Fatalf("CRC32C(\"123456789\") = %#x, want 0xe3069283", got)
	}
	if got := CRC32C(nil); got != 0 {
		t.Fatalf("CRC32C(nil) = %#x, want 0", got)
	}
}

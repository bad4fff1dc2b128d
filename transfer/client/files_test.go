package client

import (
	"testing"

	"github.com/hoist-dev/hoist/transfer/wire"
)

func TestChunkMapSummarisesByNotability(t *testing.T) {
	t.Parallel()
	f := &upFile{size: 3 * MaxMapCells * 10}
	f.setChunkSize(10) // 3 chunks per cell
	for i := range f.chunks {
		f.setChunkState(i, ChunkHeld)
	}
	f.setChunkState(0, ChunkMissing)  // cell 0: held, held, missing -> missing
	f.setChunkState(3, ChunkInFlight) // cell 1: in flight beats missing
	f.setChunkState(4, ChunkMissing)  //
	f.setChunkState(8, ChunkRetrying) // cell 2: retrying beats in flight
	f.setChunkState(7, ChunkInFlight) //
	m := f.chunkMap()
	if len(m) != MaxMapCells {
		t.Fatalf("%d cells, want %d", len(m), MaxMapCells)
	}
	want := []ChunkState{ChunkMissing, ChunkInFlight, ChunkRetrying, ChunkHeld}
	for i, w := range want {
		if m[i] != w {
			t.Errorf("cell %d = %v, want %v", i, m[i], w)
		}
	}
	if again := f.chunkMap(); &again[0] != &m[0] {
		t.Error("an unchanged map was rebuilt")
	}
	f.setChunkState(0, ChunkHeld)
	if m2 := f.chunkMap(); m2[0] != ChunkHeld || m[0] != ChunkMissing {
		t.Error("a change did not give a new map, or modified the old one")
	}
	small := &upFile{size: 5}
	small.setChunkSize(wire.DefaultChunkSize)
	if got := small.chunkMap(); len(got) != 1 || got[0] != ChunkMissing {
		t.Errorf("one-chunk map %v", got)
	}
}

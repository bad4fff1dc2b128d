package tui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/hoist-dev/hoist/transfer/client"
)

// Chunk map symbols; each state has its own shape, not only its own colour.
const (
	symHeld     = "█"
	symInFlight = "▒"
	symResent   = "!"
	symMissing  = "·"
)

// chunkLegend explains the chunk map's symbols.
func chunkLegend(s *Styles) string {
	return s.ChunkHeld.Render(symHeld) + " held  " +
		s.ChunkFlight.Render(symInFlight) + " in flight  " +
		s.ChunkResent.Render(symResent) + " resent  " +
		s.ChunkMissing.Render(symMissing) + " missing"
}

// rank orders chunk states by how notable they are when one cell stands for
// several chunks: resent, then in flight, then missing, then held (the
// engine's own rule).
func rank(c client.ChunkState) int {
	switch c {
	case client.ChunkRetrying:
		return 3
	case client.ChunkInFlight:
		return 2
	case client.ChunkMissing:
		return 1
	}
	return 0
}

// fitChunkMap resamples cells to at most n cells, each showing the most
// notable state among the cells it covers.
func fitChunkMap(cells []client.ChunkState, n int) []client.ChunkState {
	if n <= 0 {
		return nil
	}
	if len(cells) <= n {
		return cells
	}
	out := make([]client.ChunkState, n)
	for i := range out {
		lo, hi := i*len(cells)/n, (i+1)*len(cells)/n
		best := cells[lo]
		for _, c := range cells[lo+1 : hi] {
			if rank(c) > rank(best) {
				best = c
			}
		}
		out[i] = best
	}
	return out
}

// renderChunkMap draws cells in rows of width symbols, at most rows rows.
// Runs of one state are styled at once, which keeps redraws cheap.
func renderChunkMap(s *Styles, cells []client.ChunkState, width, rows int) string {
	if width <= 0 || rows <= 0 || len(cells) == 0 {
		return ""
	}
	cells = fitChunkMap(cells, width*rows)
	var b strings.Builder
	for row := 0; row*width < len(cells); row++ {
		if row > 0 {
			b.WriteByte('\n')
		}
		line := cells[row*width : min(len(cells), (row+1)*width)]
		for start := 0; start < len(line); {
			end := start + 1
			for end < len(line) && line[end] == line[start] {
				end++
			}
			sym, style := chunkSymbol(s, line[start])
			b.WriteString(style.Render(strings.Repeat(sym, end-start)))
			start = end
		}
	}
	return b.String()
}

func chunkSymbol(s *Styles, c client.ChunkState) (string, lipgloss.Style) {
	switch c {
	case client.ChunkHeld:
		return symHeld, s.ChunkHeld
	case client.ChunkInFlight:
		return symInFlight, s.ChunkFlight
	case client.ChunkRetrying:
		return symResent, s.ChunkResent
	}
	return symMissing, s.ChunkMissing
}

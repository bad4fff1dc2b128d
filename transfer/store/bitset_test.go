package store

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// gapsSlow is the obvious definition Gaps must agree with.
func gapsSlow(b Bitset, n uint64) [][2]uint64 {
	var out [][2]uint64
	for i := uint64(0); i < n; i++ {
		if b.Has(i) {
			continue
		}
		if len(out) > 0 && out[len(out)-1][1] == i {
			out[len(out)-1][1] = i + 1
		} else {
			out = append(out, [2]uint64{i, i + 1})
		}
	}
	return out
}

func TestBitsetGaps(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 2000; trial++ {
		n := uint64(r.IntN(300))
		b := NewBitset(n)
		density := r.Float64()
		for i := uint64(0); i < n; i++ {
			if r.Float64() < density {
				b.Set(i)
			}
		}
		got, want := b.Gaps(nil, n), gapsSlow(b, n)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("n=%d bits=%x:\n got %v\nwant %v", n, b, got, want)
		}
		if c := b.Count(); c != n-total(want) {
			t.Fatalf("count %d, want %d", c, n-total(want))
		}
	}
}

func total(rs [][2]uint64) uint64 {
	var t uint64
	for _, r := range rs {
		t += r[1] - r[0]
	}
	return t
}

func TestBitsetSet(t *testing.T) {
	t.Parallel()
	b := NewBitset(130)
	if !b.Set(129) || b.Set(129) || !b.Has(129) || b.Has(128) {
		t.Fatal("Set/Has disagree")
	}
}

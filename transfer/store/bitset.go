package store

import "math/bits"

// Bitset is a set of chunk indexes, one bit each, little-endian within words.
type Bitset []uint64

// NewBitset returns an empty set able to hold indexes below n.
func NewBitset(n uint64) Bitset { return make(Bitset, (n+63)/64) }

// Has reports whether i is in the set.
func (b Bitset) Has(i uint64) bool { return b[i/64]&(1<<(i%64)) != 0 }

// Set adds i to the set and reports whether it was new.
func (b Bitset) Set(i uint64) bool {
	w, m := i/64, uint64(1)<<(i%64)
	if b[w]&m != 0 {
		return false
	}
	b[w] |= m
	return true
}

// Count returns the number of indexes in the set.
func (b Bitset) Count() uint64 {
	var n int
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return uint64(n)
}

// Gaps appends to dst the half-open ranges of indexes below n that are not
// in the set, in increasing order.
func (b Bitset) Gaps(dst [][2]uint64, n uint64) [][2]uint64 {
	var start uint64
	open := false
	for i := uint64(0); i < n; {
		w := b[i/64] >> (i % 64)
		span := min(64-i%64, n-i)
		switch {
		case w == 0 && !open:
			start, open = i, true
			i += span
		case w == 0:
			i += span
		case ^w == 0 || (span < 64 && w&(1<<span-1) == 1<<span-1):
			if open {
				dst = append(dst, [2]uint64{start, i})
				open = false
			}
			i += span
		default:
			if (w&1 == 0) != open {
				if open {
					dst = append(dst, [2]uint64{start, i})
				} else {
					start = i
				}
				open = !open
			}
			i++
		}
	}
	if open {
		dst = append(dst, [2]uint64{start, n})
	}
	return dst
}

// Clear removes i from the set.
func (b Bitset) Clear(i uint64) { b[i/64] &^= 1 << (i % 64) }

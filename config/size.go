package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// sizeUnits are the units ParseSize accepts, matched case-insensitively, in
// the order settingSize prefers them. Binary units are powers of 1024, decimal
// ones powers of 1000.
var sizeUnits = []struct {
	name string
	mult int64
}{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
	{"B", 1},
}

const sizeSyntax = "want a size: a whole number of bytes, optionally with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), like \"64MiB\""

// ParseSize parses a byte count: a non-negative integer, optionally followed
// by a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), as in "64MiB", "1GB",
// "4096" or "512 KiB".
func ParseSize(s string) (int64, error) {
	text := strings.TrimSpace(s)
	digits := text
	mult := int64(1)
	if i := strings.IndexFunc(text, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		digits = text[:i]
		unit := strings.TrimSpace(text[i:])
		mult = 0
		for _, u := range sizeUnits {
			if strings.EqualFold(unit, u.name) {
				mult = u.mult
				break
			}
		}
		if mult == 0 {
			return 0, errors.New(sizeSyntax)
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, errors.New(sizeSyntax)
	}
	if n > math.MaxInt64/mult {
		return 0, errors.New("too large")
	}
	return n * mult, nil
}

// settingSize writes a size setting the way a config file or flag would
// give it, so that ParseSize reads back exactly n: the largest unit that
// divides n, binary units first (67108864 is "64MiB", 1000000000 is "1GB",
// 1000001 is "1000001B"). Sizes shown to people, which may round, go through
// internal/units instead.
func settingSize(n int64) string {
	if n == 0 {
		return "0"
	}
	for _, u := range sizeUnits[:len(sizeUnits)-1] {
		if n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

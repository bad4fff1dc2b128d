package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parseSize reads a byte count: a plain number, or one with a unit: K, KB,
// KiB, M, MB, MiB, G, GB, GiB, T, TB, TiB (all powers of 1024; case does
// not matter).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') {
		i--
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	var shift int
	switch unit {
	case "", "b":
	case "k", "kb", "kib":
		shift = 10
	case "m", "mb", "mib":
		shift = 20
	case "g", "gb", "gib":
		shift = 30
	case "t", "tb", "tib":
		shift = 40
	default:
		return 0, fmt.Errorf("size %q: unknown unit %q (use KiB, MiB, GiB or TiB)", s, unit)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: want a non-negative number of bytes, like 512MiB", s)
	}
	if n > (1<<63-1)>>shift {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n << shift, nil
}

// formatSize prints n bytes for people: 0, 512B, 1.5KiB, 4.0MiB, ...
func formatSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%dB", n)
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= 1024
		if f < 1024 || u == "TiB" {
			if f == float64(int64(f)) {
				return fmt.Sprintf("%d%s", int64(f), u)
			}
			return fmt.Sprintf("%.1f%s", f, u)
		}
	}
	return strconv.FormatInt(n, 10)
}

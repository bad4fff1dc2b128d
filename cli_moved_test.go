package main

// The root's end-to-end tests used these two helpers of the commands, which
// moved to internal/cli. Until those tests move to e2e/ (which brings its
// own), they keep these copies: delete this file then.

import (
	"fmt"
	"strconv"
	"strings"
)

// shellQuote quotes s for a POSIX shell if it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// formatSize prints n bytes as `hoist ls` does: 0, 512B, 1.5KiB, 4.0MiB, ...
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

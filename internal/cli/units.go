package cli

import (
	"fmt"
	"strconv"
)

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

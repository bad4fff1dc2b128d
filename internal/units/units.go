// Package units formats byte counts and transfer rates for people, in one
// style everywhere hoist shows them (the terminal UI, hoist send, hoist ls,
// messages): binary (IEC) units with a space, "512 B", "1.5 KiB", "12 MiB",
// by github.com/dustin/go-humanize.
//
// Reading sizes is config.ParseSize's job; this package only writes them.
package units

import (
	"math"

	"github.com/dustin/go-humanize"
)

// FormatSize writes n bytes in the largest binary unit that keeps a digit
// before the point: "512 B", "1.5 KiB", "3.0 GiB", "12 MiB". Values under ten
// of their unit keep one decimal, larger ones none.
func FormatSize(n uint64) string {
	return humanize.IBytes(n)
}

// FormatRate writes a rate in bytes per second as FormatSize does, with
// "/s": "1.5 MiB/s". Rates that are not positive numbers read "0 B/s".
func FormatRate(bytesPerSecond float64) string {
	if !(bytesPerSecond > 0) { // also NaN
		return FormatSize(0) + "/s"
	}
	if bytesPerSecond >= math.MaxUint64 {
		return FormatSize(math.MaxUint64) + "/s"
	}
	return FormatSize(uint64(bytesPerSecond)) + "/s"
}

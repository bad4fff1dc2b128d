package units

import (
	"math"
	"testing"
)

func TestFormatSize(t *testing.T) {
	for n, want := range map[uint64]string{
		0:                  "0 B",
		512:                "512 B",
		1023:               "1023 B",
		1024:               "1.0 KiB",
		1536:               "1.5 KiB",
		7 << 20:            "7.0 MiB",
		12 << 20:           "12 MiB",
		3 << 30:            "3.0 GiB",
		1_000_000_000:      "954 MiB",
		5 << 40:            "5.0 TiB",
		math.MaxUint64:     "16 EiB",
		2<<20 + 400<<10:    "2.4 MiB",
		1<<30 - 1:          "1024 MiB",
		9<<20 + 1000<<10:   "10 MiB",
		100 << 10:          "100 KiB",
		1000 << 10:         "1000 KiB",
		1<<10 + 1<<10 - 52: "1.9 KiB",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFormatRate(t *testing.T) {
	for _, c := range []struct {
		rate float64
		want string
	}{
		{0, "0 B/s"},
		{-5, "0 B/s"},
		{math.NaN(), "0 B/s"},
		{0.4, "0 B/s"},
		{1536, "1.5 KiB/s"},
		{1.5 * (1 << 20), "1.5 MiB/s"},
		{math.Inf(1), "16 EiB/s"},
	} {
		if got := FormatRate(c.rate); got != c.want {
			t.Errorf("FormatRate(%v) = %q, want %q", c.rate, got, c.want)
		}
	}
}

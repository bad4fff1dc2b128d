package config

import (
	"math"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"4096", 4096},
		{"4096B", 4096},
		{"1KB", 1000},
		{"1kb", 1000},
		{"64MiB", 64 << 20},
		{"64 mib", 64 << 20},
		{"1GB", 1e9},
		{"2GiB", 2 << 30},
		{"3TiB", 3 << 40},
		{" 7TB ", 7e12},
		{"8388607TiB", 8388607 << 40},
	} {
		got, err := ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "1.5GiB", "12 parsecs", "1 2", "0x10", "8388608TiB", "99999999999999999999"} {
		if n, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, n)
		}
	}
}

func TestSettingSizeRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0"},
		{1, "1B"},
		{1000, "1KB"},
		{1024, "1KiB"},
		{64 << 20, "64MiB"},
		{1e9, "1GB"},
		{1000001, "1000001B"},
		{math.MaxInt64, "9223372036854775807B"},
	} {
		if got := settingSize(tc.in); got != tc.want {
			t.Errorf("settingSize(%d) = %q, want %q", tc.in, got, tc.want)
		}
		if back, err := ParseSize(settingSize(tc.in)); err != nil || back != tc.in {
			t.Errorf("ParseSize(settingSize(%d)) = %d, %v", tc.in, back, err)
		}
	}
}

//go:build !race

package tui

// raceEnabled is set when the tests run with -race, which slows the UI's
// rendering about tenfold: long random runs play fewer sequences then.
const raceEnabled = false

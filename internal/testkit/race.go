//go:build race

package testkit

// RaceEnabled is true when the tests run with -race; Build then builds the
// hoist binary with -race too.
const RaceEnabled = true

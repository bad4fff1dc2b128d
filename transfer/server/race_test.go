//go:build race

package server_test

// raceEnabled is true when the tests run with -race, whose shadow memory
// and slower code change what a memory bound can promise.
const raceEnabled = true

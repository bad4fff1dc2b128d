// Package e2e holds the end-to-end tests of hoist: the real binary, built
// once per test run, as users run it — `hoist serve` processes on loopback,
// `hoist send` and `hoist ls` against them, the terminal UI in tmux, ssh://
// through a real sshd. The tests use only the binary and hoist's exported
// packages; the shared machinery is in internal/testkit.
package e2e

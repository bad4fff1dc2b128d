//go:build unix

package cli

import "syscall"

// detachedProcess starts the agent in a session of its own, with no
// controlling terminal, so that the terminal going away does not end it.
func detachedProcess() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

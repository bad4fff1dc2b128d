//go:build !unix

package cli

import "syscall"

// detachedProcess has no session to start apart on this system; the agent
// needs Unix sockets and peer credentials, which the agent refuses to run
// without.
func detachedProcess() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

package server_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Every test stops its servers (servertest stops them at cleanup); no
// goroutine may outlive them.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	goleak.VerifyTestMain(m)
}

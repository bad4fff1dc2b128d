package server_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test stops its servers (servertest stops them at cleanup); no
// goroutine may outlive them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

package client

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives the tests. The one
// exception is toxiproxy's own link plumbing: v2.5.0 leaves a link's
// goroutines blocked on a channel send when a connection closes with data
// still inside the toxic chain. They belong to the test harness, not to the
// engine, whose goroutines stay fully checked.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2.(*ToxicLink).read"),
		goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2/toxics.(*ToxicStub).Run"),
	)
}

package bench

import (
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// benchLink is an emulated link: its bandwidth in MB/s (10^6 bytes) and
// its delay each way.
type benchLink struct {
	MBps      int
	LatencyMS int
}

// benchLinks are the links the harness emulates: issue 6's 50 MB/s with
// 25 ms each way, and issue 15's long fat links, 40 MB/s with 100 and 200 ms
// each way.
var (
	benchLinkShort  = benchLink{MBps: 50, LatencyMS: 25}
	benchLinkLong   = benchLink{MBps: 40, LatencyMS: 100}
	benchLinkLonger = benchLink{MBps: 40, LatencyMS: 200}
)

// benchStartLink starts an emulated link (testkit.Link) in front of
// upstream; the caller stops it.
func benchStartLink(upstream string, link benchLink) (*testkit.Link, error) {
	return testkit.StartLink(upstream, int64(link.MBps)*1_000_000, time.Duration(link.LatencyMS)*time.Millisecond)
}

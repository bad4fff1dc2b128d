package bench

import (
	"fmt"
	"strings"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// benchLink is an emulated link: its bandwidth in MB/s (toxiproxy's KB are
// 1000 bytes) and its delay each way.
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

// benchStartLink starts an in-process toxiproxy in front of upstream that
// behaves like link:
// in each direction a bandwidth toxic (which pushes back on the sender, as a
// full link does) followed by a latency toxic (the propagation delay). The
// caller stops the returned proxy.
func benchStartLink(upstream string, link benchLink) (*toxiproxy.Proxy, error) {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "bench-link", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("toxiproxy: %w", err)
	}
	for _, dir := range []string{"upstream", "downstream"} {
		for _, toxic := range []string{
			fmt.Sprintf(`{"name":"bandwidth_%s","type":"bandwidth","stream":%q,"attributes":{"rate":%d}}`, dir, dir, link.MBps*1000),
			fmt.Sprintf(`{"name":"latency_%s","type":"latency","stream":%q,"attributes":{"latency":%d}}`, dir, dir, link.LatencyMS),
		} {
			if _, err := p.Toxics.AddToxicJson(strings.NewReader(toxic)); err != nil {
				p.Stop()
				return nil, fmt.Errorf("toxiproxy: adding %s: %w", toxic, err)
			}
		}
	}
	return p, nil
}

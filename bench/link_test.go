package bench

import (
	"fmt"
	"strings"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// benchLinkLatencyMS is the emulated link's one-way delay.
const benchLinkLatencyMS = 25

// benchStartLink starts an in-process toxiproxy in front of upstream that
// behaves like a link of benchLinkMBps with benchLinkLatencyMS each way:
// in each direction a bandwidth toxic (which pushes back on the sender, as a
// full link does) followed by a latency toxic (the propagation delay). The
// caller stops the returned proxy.
func benchStartLink(upstream string) (*toxiproxy.Proxy, error) {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "bench-link", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("toxiproxy: %w", err)
	}
	for _, dir := range []string{"upstream", "downstream"} {
		for _, toxic := range []string{
			fmt.Sprintf(`{"name":"bandwidth_%s","type":"bandwidth","stream":%q,"attributes":{"rate":%d}}`, dir, dir, benchLinkMBps*1000),
			fmt.Sprintf(`{"name":"latency_%s","type":"latency","stream":%q,"attributes":{"latency":%d}}`, dir, dir, benchLinkLatencyMS),
		} {
			if _, err := p.Toxics.AddToxicJson(strings.NewReader(toxic)); err != nil {
				p.Stop()
				return nil, fmt.Errorf("toxiproxy: adding %s: %w", toxic, err)
			}
		}
	}
	return p, nil
}

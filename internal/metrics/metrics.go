// Package metrics exposes what a hoist server does in the Prometheus
// format: Metrics implements server.Observer with collectors in a private
// registry, and Endpoint serves them over HTTP with /healthz and /readyz
// for load balancers (hoist serve --metrics-listen).
//
// Label values come from small fixed sets (response codes, refusal
// reasons, backend operations); user names and fids never become labels.
package metrics

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// namespace prefixes every metric of hoist's own.
const namespace = "hoist"

// otherLabel stands for a label value outside the known set.
const otherLabel = "other"

// latencyBuckets are the histogram buckets, in seconds, of fsync, commit
// rounds and chunk acknowledgement: 250µs to a minute.
var latencyBuckets = []float64{0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// refusalReasons are the values of the reason label of refused connections.
var refusalReasons = []string{server.RefusedMaxConnections, server.RefusedShuttingDown, server.RefusedMemory}

// Metrics holds hoist's collectors. Create it with New, pass it to the
// server as Options.Observer, and call Watch with the server once it
// exists. It is safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	connsOpen     prometheus.Gauge
	connsAccepted prometheus.Counter
	connsRefused  *prometheus.CounterVec
	auths         *prometheus.CounterVec
	uploadsDone   prometheus.Counter
	uploadsGone   prometheus.Counter
	chunksIn      prometheus.Counter
	bytesIn       prometheus.Counter
	chunksAcked   prometheus.Counter
	bytesAcked    prometheus.Counter
	responses     *prometheus.CounterVec
	fsync         prometheus.Histogram
	commitRound   prometheus.Histogram
	ackLatency    prometheus.Histogram
	objectStore   *callMetrics
	metadata      *callMetrics
}

var _ server.Observer = (*Metrics)(nil)

// New returns the collectors, registered in a registry of their own
// together with the Go runtime and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
	}
	histogram := func(name, help string) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: latencyBuckets})
	}
	m := &Metrics{
		reg:           reg,
		connsOpen:     prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "connections_open", Help: "Connections being served now."}),
		connsAccepted: counter("connections_accepted_total", "Connections accepted and served."),
		connsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "connections_refused_total",
			Help: "Connections turned away, by reason: max_connections, shutting_down or memory (for unauthenticated frames)."}, []string{"reason"}),
		auths: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "authentications_total",
			Help: "AUTHENTICATIONs answered, by result: ok or the error code."}, []string{"result"}),
		uploadsDone: counter("uploads_completed_total", "Uploads whose last file completed."),
		uploadsGone: counter("uploads_expired_total", "Unfinished uploads forgotten after the partial expiry."),
		chunksIn:    counter("chunks_received_total", "TRANSFER messages received (resends included)."),
		bytesIn:     counter("chunks_received_bytes_total", "Chunk data received, in bytes (resends included)."),
		chunksAcked: counter("chunks_acknowledged_total", "Chunks acknowledged with an Ok (durable)."),
		bytesAcked:  counter("chunks_acknowledged_bytes_total", "Chunk data acknowledged with an Ok, in bytes."),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "responses_total",
			Help: "Responses to clients, by code: ok or an error code (corrupt, busy, quota...)."}, []string{"code"}),
		fsync:       histogram("fsync_duration_seconds", "Time one group commit spent making the chunk data durable (fdatasync)."),
		commitRound: histogram("commit_round_duration_seconds", "Time of one group commit round: data sync plus the metadata transaction."),
		ackLatency:  histogram("chunk_ack_latency_seconds", "Time from a chunk's arrival to its Ok being sent."),
	}
	m.objectStore, m.metadata = newBackendCalls()
	reg.MustRegister(m.objectStore.collectors()...)
	reg.MustRegister(m.metadata.collectors()...)
	for _, r := range refusalReasons {
		m.connsRefused.WithLabelValues(r)
	}
	for _, c := range codeLabels() {
		m.responses.WithLabelValues(c)
		m.auths.WithLabelValues(c)
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.connsOpen, m.connsAccepted, m.connsRefused, m.auths, m.uploadsDone, m.uploadsGone,
		m.chunksIn, m.bytesIn, m.chunksAcked, m.bytesAcked, m.responses, m.fsync, m.commitRound, m.ackLatency,
	)
	return m
}

// Registry is the registry the collectors are in.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Source is what Watch reads from the server at each scrape; *server.Server
// implements it.
type Source interface {
	ActiveUploads() int
	Usage(ctx context.Context) (completed, reserved int64, ok bool, err error)
}

// scrapeTimeout bounds the storage reads a scrape makes.
const scrapeTimeout = 5 * time.Second

// Watch registers the gauges read from src at each scrape: active uploads
// and, if the storage can tell, the bytes stored and reserved by partial
// uploads. If
// dataDir is not empty, the free and total space of its file system are
// exported too. Call it once.
func (m *Metrics) Watch(src Source, dataDir string) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "uploads_active",
		Help: "Uploads that connections are attached to now."},
		func() float64 { return float64(src.ActiveUploads()) }))
	if _, _, ok, _ := src.Usage(context.Background()); ok {
		usage := func(pick func(completed, reserved int64) int64) func() float64 {
			return func() float64 {
				ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
				defer cancel()
				completed, reserved, _, err := src.Usage(ctx)
				if err != nil {
					return math.NaN()
				}
				return float64(pick(completed, reserved))
			}
		}
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "partial_reserved_bytes",
				Help: "Bytes reserved against quotas by unfinished uploads, all users."},
				usage(func(_, reserved int64) int64 { return reserved })),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "stored_bytes",
				Help: "Bytes of completed files, all users."},
				usage(func(completed, _ int64) int64 { return completed })),
		)
	}
	if dataDir != "" {
		registerDiskSpace(m.reg, dataDir)
	}
}

// ConnectionOpened implements server.Observer.
func (m *Metrics) ConnectionOpened() {
	m.connsAccepted.Inc()
	m.connsOpen.Inc()
}

// ConnectionClosed implements server.Observer.
func (m *Metrics) ConnectionClosed() { m.connsOpen.Dec() }

// ConnectionRefused implements server.Observer.
func (m *Metrics) ConnectionRefused(reason string) {
	if !slices.Contains(refusalReasons, reason) {
		reason = otherLabel
	}
	m.connsRefused.WithLabelValues(reason).Inc()
}

// Authenticated implements server.Observer.
func (m *Metrics) Authenticated(code string) { m.auths.WithLabelValues(codeLabel(code)).Inc() }

// UploadCompleted implements server.Observer.
func (m *Metrics) UploadCompleted() { m.uploadsDone.Inc() }

// UploadExpired implements server.Observer.
func (m *Metrics) UploadExpired() { m.uploadsGone.Inc() }

// ChunkReceived implements server.Observer.
func (m *Metrics) ChunkReceived(bytes int) {
	m.chunksIn.Inc()
	m.bytesIn.Add(float64(bytes))
}

// Responded implements server.Observer.
func (m *Metrics) Responded(code string, chunkBytes int, arrived time.Time) {
	m.responses.WithLabelValues(codeLabel(code)).Inc()
	if chunkBytes >= 0 {
		m.chunksAcked.Inc()
		m.bytesAcked.Add(float64(chunkBytes))
		if !arrived.IsZero() {
			m.ackLatency.Observe(time.Since(arrived).Seconds())
		}
	}
}

// CommitRound implements server.Observer.
func (m *Metrics) CommitRound(sync, total time.Duration) {
	m.fsync.Observe(sync.Seconds())
	m.commitRound.Observe(total.Seconds())
}

// codeLabels are the known values of the code and result labels: ok and
// every wire code.
func codeLabels() []string {
	out := []string{"ok"}
	for _, c := range wire.Codes {
		out = append(out, string(c))
	}
	return out
}

// codeLabel maps code to itself if known, else to "other".
func codeLabel(code string) string {
	if code == "ok" || slices.Contains(wire.Codes, wire.Code(code)) {
		return code
	}
	return otherLabel
}

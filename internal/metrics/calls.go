package metrics

import (
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/store/pgmeta"
	"github.com/hoist-dev/hoist/transfer/store/s3store"
)

// callMetrics records the calls a storage backend makes to the service
// behind it: latency and errors by operation. It implements
// store.CallObserver.
type callMetrics struct {
	known    []string
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

var _ store.CallObserver = (*callMetrics)(nil)

// newCallMetrics returns the collectors hoist_NAME_request_duration_seconds
// and hoist_NAME_errors_total, with operation labels from known (anything
// else is "other"), every known label present from the start.
func newCallMetrics(name, what string, known []string) *callMetrics {
	c := &callMetrics{
		known: known,
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name + "_request_duration_seconds",
			Help: "Time of calls to the " + what + ", by operation, retries included.", Buckets: latencyBuckets}, []string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name + "_errors_total",
			Help: "Calls to the " + what + " that failed, by operation (expected answers such as not found are not failures)."}, []string{"operation"}),
	}
	for _, op := range append(slices.Clone(known), otherLabel) {
		c.duration.WithLabelValues(op)
		c.errors.WithLabelValues(op)
	}
	return c
}

// Call implements store.CallObserver.
func (c *callMetrics) Call(operation string, d time.Duration, err error) {
	if !slices.Contains(c.known, operation) {
		operation = otherLabel
	}
	c.duration.WithLabelValues(operation).Observe(d.Seconds())
	if err != nil {
		c.errors.WithLabelValues(operation).Inc()
	}
}

// collectors returns the collectors to register.
func (c *callMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{c.duration, c.errors}
}

// ObjectStoreCalls is the observer to give the object store
// (s3store.Options.Calls): hoist_object_store_request_duration_seconds and
// hoist_object_store_errors_total, by S3 operation.
func (m *Metrics) ObjectStoreCalls() store.CallObserver { return m.objectStore }

// MetadataCalls is the observer to give the metadata database
// (pgmeta.WithCalls): hoist_metadata_request_duration_seconds and
// hoist_metadata_errors_total, by store operation.
func (m *Metrics) MetadataCalls() store.CallObserver { return m.metadata }

// newBackendCalls returns the call metrics of the object store and the
// metadata database.
func newBackendCalls() (objectStore, metadata *callMetrics) {
	return newCallMetrics("object_store", "object store (S3)", s3store.Operations),
		newCallMetrics("metadata", "metadata database (PostgreSQL)", pgmeta.Operations)
}

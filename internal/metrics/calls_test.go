package metrics

import (
	"bytes"
	"errors"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// exposition renders m's registry in the text format and parses it back.
func exposition(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range fams {
		if err := enc.Encode(f); err != nil {
			t.Fatal(err)
		}
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	parsed, err := p.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatalf("exposition does not parse: %v", err)
	}
	return parsed
}

// byOperation returns the sample count (histograms) or value (counters)
// of family name by operation label.
func byOperation(t *testing.T, fams map[string]*dto.MetricFamily, name string) map[string]float64 {
	t.Helper()
	fam, ok := fams[name]
	if !ok {
		t.Fatalf("%s is not in the exposition", name)
	}
	out := map[string]float64{}
	for _, s := range fam.GetMetric() {
		var op string
		for _, l := range s.GetLabel() {
			if l.GetName() == "operation" {
				op = l.GetValue()
			}
		}
		if op == "" {
			t.Fatalf("%s has a sample without an operation label", name)
		}
		switch fam.GetType() {
		case dto.MetricType_HISTOGRAM:
			out[op] = float64(s.GetHistogram().GetSampleCount())
		case dto.MetricType_COUNTER:
			out[op] = s.GetCounter().GetValue()
		default:
			t.Fatalf("%s has type %v", name, fam.GetType())
		}
	}
	return out
}

// TestBackendCallMetrics: the object store and metadata observers record
// latency by operation and failures in the error counters, under the
// documented names, and an operation outside the known set is labelled
// "other" instead of becoming a new label value.
func TestBackendCallMetrics(t *testing.T) {
	m := New()
	objects, meta := m.ObjectStoreCalls(), m.MetadataCalls()
	objects.Call("upload_part", 3*time.Millisecond, nil)
	objects.Call("upload_part", 5*time.Millisecond, nil)
	objects.Call("complete_multipart_upload", time.Millisecond, errors.New("slow down"))
	objects.Call("SomethingNew", time.Millisecond, errors.New("boom"))
	meta.Call("create_upload", time.Millisecond, nil)
	meta.Call("mark_held", time.Millisecond, errors.New("connection reset"))
	meta.Call("user alice's query", time.Millisecond, nil)

	fams := exposition(t, m)
	for _, c := range []struct {
		name string
		want map[string]float64
	}{
		{"hoist_object_store_request_duration_seconds", map[string]float64{"upload_part": 2, "complete_multipart_upload": 1, "other": 1, "get_object": 0}},
		{"hoist_object_store_errors_total", map[string]float64{"upload_part": 0, "complete_multipart_upload": 1, "other": 1}},
		{"hoist_metadata_request_duration_seconds", map[string]float64{"create_upload": 1, "mark_held": 1, "other": 1, "reserve_name": 0}},
		{"hoist_metadata_errors_total", map[string]float64{"create_upload": 0, "mark_held": 1, "other": 0}},
	} {
		got := byOperation(t, fams, c.name)
		for op, want := range c.want {
			if v, ok := got[op]; !ok || v != want {
				t.Errorf("%s{operation=%q} = %v (present %v), want %v", c.name, op, v, ok, want)
			}
		}
		for _, bad := range []string{"SomethingNew", "user alice's query"} {
			if _, ok := got[bad]; ok {
				t.Errorf("%s has the unknown operation %q as a label", c.name, bad)
			}
		}
	}
}

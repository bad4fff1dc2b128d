package e2e

// End-to-end tests of what an operator sees (issue 16): the metrics and
// health listener of `hoist serve --metrics-listen`, JSON logs, and the
// reports of `hoist ls --usage` and `--partial`.

import (
	"encoding/json"
	"github.com/hoist-dev/hoist/internal/testkit"
	"hash/crc32"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hoist-dev/hoist/transfer/wire"
)

var metricsRE = regexp.MustCompile(`(?m)^hoist: metrics on (http://\S+)/metrics$`)

// metricsBase returns the base URL (http://HOST:PORT) of the metrics
// listener that p announced.
func metricsBase(t *testing.T, p *testkit.Server) string {
	t.Helper()
	m := metricsRE.FindStringSubmatch(p.Stderr())
	if m == nil {
		t.Fatalf("hoist serve did not announce its metrics listener:\n%s", p.Stderr())
	}
	return m[1]
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// scrape fetches /metrics and parses it with the Prometheus text parser.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := httpClient.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse as the Prometheus text format: %v", err)
	}
	return fams
}

// metricValue returns the value of the counter or gauge name whose labels
// include labels (name, value pairs), failing the test if there is none.
func metricValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	fam := fams[name]
	if fam == nil {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range fam.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no sample of %s with labels %v", name, labels)
	return 0
}

// wantMetric fails the test unless the metric has the value want.
func wantMetric(t *testing.T, fams map[string]*dto.MetricFamily, want float64, name string, labels ...string) {
	t.Helper()
	if got := metricValue(t, fams, name, labels...); got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// sendCorrupt sends chunk k of file i with a crc32c that does not match
// its data.
func (c *e2eClient) sendCorrupt(i int, data []byte, k uint64) {
	c.t.Helper()
	off, n := wire.ChunkBounds(uint64(len(data)), c.cs, k)
	d := data[off : off+uint64(n)]
	bad := crc32.Checksum(d, crc32.MakeTable(crc32.Castagnoli)) ^ 1
	tr := &wire.Transfer{MessageID: uuid.NewString(), Chunk: wire.ChunkID(c.fid, i, k).String(), File: i, Index: k, Data: d, CRC32C: &bad}
	if err := c.w.WriteFrame(wire.TypeTransfer, wire.AppendTransfer(nil, tr)); err != nil {
		c.t.Fatal(err)
	}
	c.flush()
}

// TestE2EMetricsCountWhatTheClientSent scrapes /metrics of a real server
// during and after an upload: the chunk and byte counters equal what the
// client sent, and one corrupt chunk moves the corrupt counter by one.
func TestE2EMetricsCountWhatTheClientSent(t *testing.T) {
	root := t.TempDir()
	p := startServer(t, root, "--metrics-listen", "127.0.0.1:0")
	base := metricsBase(t, p)
	tok := mintToken(t, root, "alice")

	data := randomBytes(5*16<<10 + 1234)
	c := e2eDial(t, p.Addr)
	c.auth(tok, uuid.New(), []string{"a.bin"}, [][]byte{data}, nil, 16<<10)
	n := wire.ChunkCount(uint64(len(data)), c.cs)
	if n < 3 {
		t.Fatalf("%d chunks: the test needs several", n)
	}
	// Every chunk but the last: the upload is still going when scraped.
	sent := 0
	for k := range n - 1 {
		c.send(0, data, k, k%2 == 0)
		_, l := wire.ChunkBounds(uint64(len(data)), c.cs, k)
		sent += l
	}
	c.flush()
	c.recvAcks(n - 1)
	m := scrape(t, base)
	wantMetric(t, m, float64(n-1), "hoist_chunks_received_total")
	wantMetric(t, m, float64(sent), "hoist_chunks_received_bytes_total")
	wantMetric(t, m, float64(n-1), "hoist_chunks_acknowledged_total")
	wantMetric(t, m, float64(sent), "hoist_chunks_acknowledged_bytes_total")
	wantMetric(t, m, 1, "hoist_uploads_active")
	wantMetric(t, m, 1, "hoist_connections_open")
	wantMetric(t, m, 1, "hoist_authentications_total", "result", "ok")
	wantMetric(t, m, float64(n), "hoist_responses_total", "code", "ok") // the AUTHENTICATION's too
	wantMetric(t, m, float64(n-1), "hoist_chunk_ack_latency_seconds")
	wantMetric(t, m, float64(len(data)), "hoist_partial_reserved_bytes")
	if metricValue(t, m, "hoist_fsync_duration_seconds") < 1 || metricValue(t, m, "hoist_commit_round_duration_seconds") < 1 {
		t.Error("no fsync or commit round observed")
	}

	c.send(0, data, n-1, false)
	c.flush()
	if sums := c.recvAcks(1); sums[0] != hexSHA(data) {
		t.Fatalf("completion sha256 %q, want %q", sums[0], hexSHA(data))
	}
	m = scrape(t, base)
	wantMetric(t, m, float64(n), "hoist_chunks_received_total")
	wantMetric(t, m, float64(len(data)), "hoist_chunks_received_bytes_total")
	wantMetric(t, m, float64(n), "hoist_chunks_acknowledged_total")
	wantMetric(t, m, float64(len(data)), "hoist_chunks_acknowledged_bytes_total")
	wantMetric(t, m, 1, "hoist_uploads_completed_total")
	wantMetric(t, m, 0, "hoist_partial_reserved_bytes")
	wantMetric(t, m, float64(len(data)), "hoist_stored_bytes")
	corrupt := metricValue(t, m, "hoist_responses_total", "code", "corrupt")
	if corrupt != 0 {
		t.Fatalf("corrupt responses before any corrupt chunk: %v", corrupt)
	}

	// A second upload whose first chunk arrives with a wrong crc32c.
	c2 := e2eDial(t, p.Addr)
	c2.auth(tok, uuid.New(), []string{"b.bin"}, [][]byte{data}, nil, 16<<10)
	c2.sendCorrupt(0, data, 0)
	if r := c2.mustRecv(); r.OK() || r.Code != wire.CodeCorrupt {
		t.Fatalf("a chunk with a bad crc32c was answered %+v, want corrupt", r)
	}
	m = scrape(t, base)
	wantMetric(t, m, corrupt+1, "hoist_responses_total", "code", "corrupt")
	wantMetric(t, m, float64(n+1), "hoist_chunks_received_total")
	wantMetric(t, m, float64(n), "hoist_chunks_acknowledged_total")
	wantMetric(t, m, 2, "hoist_authentications_total", "result", "ok")
	wantMetric(t, m, 2, "hoist_connections_accepted_total")

	for name := range m {
		if !strings.HasPrefix(name, "hoist_") && !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") && !strings.HasPrefix(name, "promhttp_") {
			t.Errorf("unexpected metric family %s", name)
		}
	}
}

// getStatus returns the HTTP status of GET url, or 0 if the request failed.
func getStatus(url string) int {
	resp, err := httpClient.Get(url)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestE2EReadyzFailsBeforeListenersClose stops a server that has a session
// open: /readyz answers 503 while the protocol listener still accepts and
// serves new connections (the drain delay), and the server then exits.
func TestE2EReadyzFailsBeforeListenersClose(t *testing.T) {
	root := t.TempDir()
	p := startServer(t, root, "--metrics-listen", "127.0.0.1:0", "--drain-delay", "4s")
	base := metricsBase(t, p)
	tok := mintToken(t, root, "alice")
	if s := getStatus(base + "/healthz"); s != http.StatusOK {
		t.Fatalf("/healthz: %d", s)
	}
	if s := getStatus(base + "/readyz"); s != http.StatusOK {
		t.Fatalf("/readyz before shutdown: %d", s)
	}

	data := randomBytes(3 * 16 << 10)
	held := e2eDial(t, p.Addr)
	held.auth(tok, uuid.New(), []string{"held.bin"}, [][]byte{data}, nil, 16<<10)

	if err := syscall.Kill(p.Pid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	status := 0
	for status != http.StatusServiceUnavailable && time.Now().Before(deadline) {
		if status = getStatus(base + "/readyz"); status != http.StatusServiceUnavailable {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz after SIGTERM: %d, want 503", status)
	}
	// Not ready, and yet the listener is open: a new connection is served,
	// and so is the one held open.
	fresh := e2eDial(t, p.Addr)
	fresh.auth(tok, uuid.New(), []string{"late.bin"}, [][]byte{data}, nil, 16<<10)
	held.send(0, data, 0, true)
	held.flush()
	held.recvAcks(1)
	if s := getStatus(base + "/healthz"); s != http.StatusOK {
		t.Fatalf("/healthz while draining: %d", s)
	}

	if err := p.Terminate(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if s := getStatus(base + "/healthz"); s != 0 {
		t.Fatalf("the metrics listener still answers after the server exited: %d", s)
	}
}

// TestE2EJSONLogsCarryNoToken runs an upload and a refused authentication
// through a server logging JSON: every log line parses, none holds a
// token, and the session's summary line has its fields.
func TestE2EJSONLogsCarryNoToken(t *testing.T) {
	root := t.TempDir()
	p := startServer(t, root, "--log-format", "json", "--log-level", "debug")
	tokenFile := writeToken(t, root)
	tokBytes, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(string(tokBytes))
	path, _ := randomFile(t, t.TempDir(), "log.bin", 200_000, 7)
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	if _, errOut, err := tryHoist(t, env, append(append([]string{"send"}, sendFlags(p.URL, tokenFile)...), path)...); err != nil {
		t.Fatalf("hoist send: %v\n%s", err, errOut)
	}
	// A token signed with another key is refused, and logged with its code.
	forged := mintToken(t, t.TempDir(), "mallory", "--init")
	c := e2eDial(t, p.Addr)
	a := wire.Authentication{MessageID: uuid.NewString(), Token: forged, FID: uuid.NewString(), Files: []wire.FileInfo{{Name: "x", Size: 1}}}
	b, _ := wire.EncodeJSON(&a)
	if err := c.w.WriteFrame(wire.TypeAuthentication, b); err != nil {
		t.Fatal(err)
	}
	c.flush()
	if r := c.mustRecv(); r.Code != wire.CodeUnauthorized {
		t.Fatalf("forged token answered %+v", r)
	}
	c.conn.Close()
	if err := p.Terminate(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	var summaries, refusals []map[string]any
	lines := 0
	for line := range strings.SplitSeq(strings.TrimSpace(p.Stderr()), "\n") {
		if strings.HasPrefix(line, "hoist: listening on ") {
			continue // the announcement clients and tests read, not a log line
		}
		lines++
		for _, secret := range []string{tok, forged} {
			if strings.Contains(line, secret) {
				t.Fatalf("a log line holds a token: %s", line)
			}
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON (%v): %s", err, line)
		}
		switch rec["msg"] {
		case "session ended":
			summaries = append(summaries, rec)
		case "authentication refused":
			refusals = append(refusals, rec)
		}
	}
	if lines < 5 {
		t.Fatalf("only %d log lines:\n%s", lines, p.Stderr())
	}
	var done map[string]any
	for _, s := range summaries {
		if s["outcome"] == "complete" {
			done = s
		}
	}
	if done == nil {
		t.Fatalf("no summary of the completed session among %v", summaries)
	}
	for _, key := range []string{"user", "remote", "fid", "files", "bytes", "duration", "outcome"} {
		if _, ok := done[key]; !ok {
			t.Errorf("session summary lacks %q: %v", key, done)
		}
	}
	if done["user"] != "alice" || done["files"] != 1.0 || done["bytes"] != 200_000.0 {
		t.Errorf("session summary %v, want alice, 1 file, 200000 bytes", done)
	}
	if len(refusals) != 1 || refusals[0]["code"] != string(wire.CodeUnauthorized) {
		t.Errorf("refusals logged: %v, want one with code unauthorized", refusals)
	}
}

// sizesUnder sums the sizes of the regular files under dir.
func sizesUnder(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestE2ELsUsageMatchesDisk leaves one upload complete and another half
// sent: `hoist ls --usage --json` reports the bytes alice holds and
// reserves as the files on disk measure, and --partial the unfinished one.
func TestE2ELsUsageMatchesDisk(t *testing.T) {
	root := t.TempDir()
	p := startServer(t, root)
	tok := mintToken(t, root, "alice")

	done := [][]byte{randomBytes(70_000), randomBytes(5_000)}
	c := e2eDial(t, p.Addr)
	c.auth(tok, uuid.New(), []string{"one.bin", "two.bin"}, done, nil, 16<<10)
	var chunks uint64
	for i, data := range done {
		for k := range wire.ChunkCount(uint64(len(data)), c.cs) {
			c.send(i, data, k, true)
			chunks++
		}
	}
	c.flush()
	c.recvAcks(chunks)

	partial := [][]byte{randomBytes(100_000), randomBytes(30_000)}
	fid := uuid.New()
	c2 := e2eDial(t, p.Addr)
	c2.auth(tok, fid, []string{"big.bin", "small.bin"}, partial, nil, 16<<10)
	c2.send(0, partial[0], 0, true)
	c2.send(0, partial[0], 2, true)
	c2.flush()
	c2.recvAcks(2)
	if err := p.Terminate(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	held := sizesUnder(t, filepath.Join(root, "users", "alice"))
	reserved := sizesUnder(t, filepath.Join(root, "partial"))
	if held != 75_000 || reserved != 130_000 {
		t.Fatalf("on disk: %d bytes held, %d in partial files; the test expects 75000 and 130000", held, reserved)
	}
	out := runHoist(t, "ls", "--root", root, "--usage", "--json", "--quota", "1MB")
	var u struct {
		User          string   `json:"user"`
		Files         int      `json:"files"`
		Held          int64    `json:"held"`
		HeldHuman     string   `json:"held_human"`
		Reserved      int64    `json:"reserved"`
		ReservedHuman string   `json:"reserved_human"`
		Quota         int64    `json:"quota"`
		UsedPercent   *float64 `json:"used_percent"`
	}
	if err := json.Unmarshal([]byte(out), &u); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("ls --usage --json: %v\n%s", err, out)
	}
	if u.User != "alice" || u.Files != 2 || u.Held != held || u.Reserved != reserved {
		t.Fatalf("ls --usage --json: %+v, want alice with 2 files, %d bytes held, %d reserved", u, held, reserved)
	}
	if u.HeldHuman != "73 KiB" || u.ReservedHuman != "127 KiB" || u.Quota != 1_000_000 ||
		u.UsedPercent == nil || *u.UsedPercent != 100*float64(held+reserved)/1e6 {
		t.Fatalf("ls --usage --json: %+v", u)
	}

	out = runHoist(t, "ls", "--root", root, "--partial", "--json")
	var pu struct {
		FID          string  `json:"fid"`
		User         string  `json:"user"`
		PendingFiles int     `json:"pending_files"`
		Reserved     int64   `json:"reserved"`
		Received     int64   `json:"received"`
		AgeSeconds   float64 `json:"age_seconds"`
	}
	if err := json.Unmarshal([]byte(out), &pu); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("ls --partial --json: %v\n%s", err, out)
	}
	if pu.FID != fid.String() || pu.User != "alice" || pu.PendingFiles != 2 || pu.Reserved != reserved ||
		pu.Received != 2*16<<10 || pu.AgeSeconds < 0 {
		t.Fatalf("ls --partial --json: %+v, want %s with %d bytes reserved, %d received", pu, fid, reserved, 2*16<<10)
	}
	table := runHoist(t, "ls", "--root", root, "--usage", "--partial")
	for _, want := range []string{"alice", "73 KiB", "127 KiB", fid.String(), "2 of 2", "32 KiB"} {
		if !strings.Contains(table, want) {
			t.Errorf("ls --usage --partial lacks %q:\n%s", want, table)
		}
	}
}

package bench

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/hoist-dev/hoist/internal/units"
)

// benchReport gathers every run of the harness and prints issue 6's table.
type benchReport struct {
	cfg    benchConfig
	runs   map[string][]benchRun
	order  []string // run names in the order the scenarios list them
	noSSH  string
	noTusd string
	load   [2]string // load average before and after
	cpus   string    // where each side ran (benchSides.text)
}

// benchRow is one line of the table.
type benchRow struct {
	run, figure, compare, target, met string
}

func (r *benchReport) has(name string) bool { return len(r.runs[name]) > 0 }

// rate is the median MB/s of a run.
func (r *benchReport) rate(name string) float64 {
	return r.median(name, benchRun.MBps)
}

func (r *benchReport) median(name string, f func(benchRun) float64) float64 {
	var xs []float64
	for _, run := range r.runs[name] {
		xs = append(xs, f(run))
	}
	return benchMedian(xs)
}

// ratio is the median over rounds of f(a)/f(b) measured in the same round.
func (r *benchReport) ratio(a, b string, f func(benchRun) float64) float64 {
	ra, rb := r.runs[a], r.runs[b]
	var xs []float64
	for i := range min(len(ra), len(rb)) {
		xs = append(xs, f(ra[i])/f(rb[i]))
	}
	return benchMedian(xs)
}

func benchMet(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

func (r *benchReport) rows() []benchRow {
	var rows []benchRow
	add := func(row benchRow) { rows = append(rows, row) }
	mbps := func(name string) string { return fmt.Sprintf("%.1f MB/s", r.rate(name)) }
	vsRaw := func(name string) float64 { return r.ratio(name, "raw", benchRun.MBps) }

	if r.has("raw") {
		add(benchRow{"raw TCP copy (baseline)", mbps("raw"), "1.00x", "", ""})
	}
	if r.has("raw-checked") {
		add(benchRow{"checked copy: crc32c + sha256 both ends, 2 processes", mbps("raw-checked"), fmt.Sprintf("%.2fx raw", vsRaw("raw-checked")), "reference (the floor)", ""})
	}
	if r.has("raw-fsync-4MiB") {
		add(benchRow{"raw copy, fsync every 4 MiB", mbps("raw-fsync-4MiB"), fmt.Sprintf("%.2fx raw", vsRaw("raw-fsync-4MiB")), "reference", ""})
	}
	if r.has("scp") {
		add(benchRow{"scp", mbps("scp"), fmt.Sprintf("%.2fx raw", vsRaw("scp")), "reference", ""})
	}
	if r.has("tusd") {
		add(benchRow{"tusd + curl (not durable)", mbps("tusd"), fmt.Sprintf("%.2fx raw", vsRaw("tusd")), "reference", ""})
	}
	if r.has("tusd-sync") {
		add(benchRow{"tusd + curl + one final fsync", mbps("tusd-sync"), fmt.Sprintf("%.2fx raw", vsRaw("tusd-sync")), "reference", ""})
	}
	if r.has("hoist") {
		ratio := vsRaw("hoist")
		cmp := fmt.Sprintf("%.2fx raw", ratio)
		target, met := ">= 0.6x raw (aim 0.75)", ratio >= 0.6
		if r.has("tusd-sync") {
			vsTusd := r.ratio("hoist", "tusd-sync", benchRun.MBps)
			cmp += fmt.Sprintf(", %.2fx tusd+sync", vsTusd)
			target += ", >= 0.8x tusd+sync (aim 1.0)"
			met = met && vsTusd >= 0.8
		}
		if r.has("scp") {
			cmp += fmt.Sprintf(", %.2fx scp", r.ratio("hoist", "scp", benchRun.MBps))
		}
		add(benchRow{"hoist durable (raw-transfer)", mbps("hoist"), cmp, target, benchMet(met)})
	}
	if r.has("hoist-json") {
		ratio := vsRaw("hoist-json")
		row := benchRow{"hoist JSON/base64 path", mbps("hoist-json"), fmt.Sprintf("%.2fx raw", ratio), ">= 0.2x raw (no scp figure)", benchMet(ratio >= 0.2)}
		if r.has("scp") {
			vsSCP := r.ratio("hoist-json", "scp", benchRun.MBps)
			row.compare += fmt.Sprintf(", %.2fx scp", vsSCP)
			row.target, row.met = ">= 1x scp", benchMet(vsSCP >= 1)
		}
		add(row)
	}
	files := fmt.Sprintf("%d x %d KiB", r.cfg.Files, r.cfg.FileSize>>10)
	fps := func(name string) string {
		return fmt.Sprintf("%.0f files/s", r.median(name, benchRun.FilesPerSec))
	}
	if r.has("hoist-tree") {
		row := benchRow{"hoist " + files, fps("hoist-tree"), "", ">= 1x scp", "n/a (no scp figure)"}
		if r.has("scp-tree") {
			vs := r.ratio("hoist-tree", "scp-tree", benchRun.FilesPerSec)
			row.compare, row.met = fmt.Sprintf("%.2fx scp", vs), benchMet(vs >= 1)
		}
		add(row)
	}
	if r.has("scp-tree") {
		add(benchRow{"scp -r " + files, fps("scp-tree"), "", "reference", ""})
	}
	if r.has("hoist-tree-1k") && r.has("hoist-tree") {
		small := min(r.cfg.Files, 1000)
		flat := r.ratio("hoist-tree", "hoist-tree-1k", benchRun.FilesPerSec)
		add(benchRow{fmt.Sprintf("hoist %d x %d KiB", small, r.cfg.FileSize>>10), fps("hoist-tree-1k"),
			fmt.Sprintf("rate at %d files: %.2fx the rate at %d", r.cfg.Files, flat, small), ">= 0.8x (flat)", benchMet(flat >= 0.8)})
	}
	if r.has("hoist-1k") {
		add(benchRow{"hoist literal 1 KiB, 1 in flight", mbps("hoist-1k"), fmt.Sprintf("%.4fx raw", vsRaw("hoist-1k")), "reference", ""})
	}
	if r.has("hoist-4-clients") {
		add(benchRow{"hoist, 4 clients at once (1/4 size each)", mbps("hoist-4-clients"), fmt.Sprintf("%.2fx raw", vsRaw("hoist-4-clients")), "reference", ""})
	}
	for _, l := range []struct {
		name, raw string
		link      benchLink
		target    bool
	}{{"hoist-link", "", benchLinkShort, true}, {"hoist-lfn-100ms", "raw-lfn-100ms", benchLinkLong, true}, {"hoist-lfn-200ms", "raw-lfn-200ms", benchLinkLonger, false}} {
		if r.has(l.raw) {
			add(benchRow{fmt.Sprintf("raw TCP copy via %d MB/s, %d ms each way", l.link.MBps, l.link.LatencyMS), mbps(l.raw),
				fmt.Sprintf("%.0f%% of link", 100*r.rate(l.raw)/float64(l.link.MBps)), "reference", ""})
		}
		if !r.has(l.name) {
			continue
		}
		used := r.rate(l.name) / float64(l.link.MBps)
		row := benchRow{fmt.Sprintf("hoist via %d MB/s, %d ms each way", l.link.MBps, l.link.LatencyMS), mbps(l.name), fmt.Sprintf("%.0f%% of link", 100*used), "reference", ""}
		if r.has(l.raw) {
			row.compare += fmt.Sprintf(", %.2fx raw via the link", r.ratio(l.name, l.raw, benchRun.MBps))
		}
		if l.target {
			row.target, row.met = ">= 90% of link", benchMet(used >= 0.9)
		}
		add(row)
	}
	for _, b := range []struct{ name, base string }{{"hoist", "base-hoist"}, {"hoist-json", "base-hoist-json"}} {
		if r.has(b.name) && r.has(b.base) {
			add(benchRow{"baseline binary: " + b.name, mbps(b.base), fmt.Sprintf("this build %.2fx the baseline", r.ratio(b.name, b.base, benchRun.MBps)), "reference", ""})
		}
	}
	rows = append(rows, r.procRows()...)
	rows = append(rows, r.tuiRows()...)
	return rows
}

// procRows report the peak RSS of each side (the maximum over all runs, and
// how it moves with file size and connections) and the median CPU seconds
// per GB of each side.
func (r *benchReport) procRows() []benchRow {
	var rows []benchRow
	var clientPeak int64
	for _, runs := range r.runs {
		for _, run := range runs {
			if run.Client != nil {
				clientPeak = max(clientPeak, run.Client.PeakRSS)
			}
		}
	}
	mb := func(n float64) string { return fmt.Sprintf("%.1f MB", n/1e6) }
	if clientPeak > 0 {
		row := benchRow{"client peak RSS (any run)", mb(float64(clientPeak)), "", "< 64 MB", benchMet(clientPeak < 64e6)}
		if r.has("hoist-1k") && r.has("hoist") {
			row.compare = fmt.Sprintf("%s file: %s, %s: %s", units.FormatSize(uint64(r.cfg.LiteralSize)), mb(r.peak("hoist-1k", true)),
				units.FormatSize(uint64(r.cfg.Size)), mb(r.peak("hoist", true)))
		}
		rows = append(rows, row)
	}
	if r.has("hoist") && r.has("hoist-1k") {
		small, big := r.peak("hoist-1k", false), r.peak("hoist", false)
		rows = append(rows, benchRow{"server peak RSS, 1 connection", mb(big),
			fmt.Sprintf("%s file: %s", units.FormatSize(uint64(r.cfg.LiteralSize)), mb(small)),
			"not growing with file size", benchMet(big-small < 16e6)})
		if r.has("hoist-4-clients") {
			four := r.peak("hoist-4-clients", false)
			perConn := (four - big) / 3
			rows = append(rows, benchRow{"server peak RSS, 4 connections", mb(four),
				fmt.Sprintf("%s per extra connection", mb(perConn)),
				"per connection <= window (64 MiB)", benchMet(perConn <= 64<<20)})
		}
	}
	rows = append(rows, r.cpuRows()...)
	return rows
}

// cpuRows put the median CPU seconds per GB of each side of each uploader
// next to each other: hoist's client and server, curl and tusd, scp (with
// its ssh) and sshd (with its session).
func (r *benchReport) cpuRows() []benchRow {
	var rows []benchRow
	for _, u := range []struct{ name, label, client, server string }{
		{"raw-checked", "checked copy (the floor)", "sender", "receiver"},
		{"hoist", "hoist", "client", "server"},
		{"hoist-json", "hoist JSON/base64", "client", "server"},
		{"base-hoist", "baseline hoist", "client", "server"},
		{"base-hoist-json", "baseline hoist JSON/base64", "client", "server"},
		{"tusd", "tusd + curl", "curl", "tusd"},
		{"tusd-sync", "tusd + curl + fsync", "curl", "tusd"},
		{"scp", "scp", "scp+ssh", "sshd"},
	} {
		runs := r.runs[u.name]
		if len(runs) == 0 || runs[0].Client == nil || runs[0].Server == nil {
			continue
		}
		client, server := r.cpuPerGB(u.name, true), r.cpuPerGB(u.name, false)
		row := benchRow{u.label + " CPU per GB", fmt.Sprintf("%s %.2f s, %s %.2f s", u.client, client, u.server, server), "", "", ""}
		if u.name == "hoist" {
			if floor := r.runs["raw-checked"]; len(floor) > 0 && floor[0].Client != nil {
				row.compare = fmt.Sprintf("above the checked copy: client +%.2f s, server +%.2f s",
					client-r.cpuPerGB("raw-checked", true), server-r.cpuPerGB("raw-checked", false))
			}
			row.target, row.met = "client <= 0.8 s, server <= 1.1 s", benchMet(client <= 0.8 && server <= 1.1)
		}
		rows = append(rows, row)
	}
	return rows
}

// cpuPerGB is the median over rounds of a run's CPU seconds per GB, of
// the client or the server.
func (r *benchReport) cpuPerGB(name string, client bool) float64 {
	return r.median(name, func(run benchRun) float64 { return run.side(client).CPU.Seconds() / (float64(run.Bytes) / 1e9) })
}

// peak is the median over rounds of a run's peak RSS, of the client or the
// server.
func (r *benchReport) peak(name string, client bool) float64 {
	return r.median(name, func(run benchRun) float64 {
		if p := run.side(client); p != nil {
			return float64(p.PeakRSS)
		}
		return 0
	})
}

// tuiRows compare the TUI's upload with the headless one.
func (r *benchReport) tuiRows() []benchRow {
	if !r.has("hoist-tui") || !r.has("hoist") {
		return nil
	}
	cost := 1 - r.ratio("hoist-tui", "hoist", benchRun.MBps)
	term := r.median("hoist-tui", func(run benchRun) float64 { return float64(run.TermBytes) / 1e3 / run.Elapsed.Seconds() })
	return []benchRow{
		{"TUI rendering cost", fmt.Sprintf("%.1f%%", 100*cost), fmt.Sprintf("%.1f MB/s", r.rate("hoist-tui")), "< 5% of headless", benchMet(cost < 0.05)},
		{"TUI terminal output", fmt.Sprintf("%.1f KB/s", term), "", "< 30 KB/s", benchMet(term < 30)},
	}
}

func benchLoad() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func (r *benchReport) print(w io.Writer) {
	fmt.Fprintf(w, "\nhoist upload benchmark: %s file, %d x %d B files, %s link file, %s literal file; median of %d round(s), %s; load %s -> %s\n",
		units.FormatSize(uint64(r.cfg.Size)), r.cfg.Files, r.cfg.FileSize, units.FormatSize(uint64(r.cfg.LinkSize)), units.FormatSize(uint64(r.cfg.LiteralSize)), r.cfg.Rounds, r.cfg.orderText(), r.load[0], r.load[1])
	fmt.Fprintf(w, "CPUs: %s\n", r.cpus)
	if r.noSSH != "" {
		fmt.Fprintf(w, "scp not measured: %s\n", r.noSSH)
	}
	if r.noTusd != "" {
		fmt.Fprintf(w, "tusd not measured: %s\n", r.noTusd)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\tfigure\tcompared\ttarget\tmet")
	for _, row := range r.rows() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", row.run, row.figure, row.compare, row.target, row.met)
	}
	tw.Flush()
	r.printRounds(w)
}

// printRounds lists every run, so that the spread behind each median shows.
func (r *benchReport) printRounds(w io.Writer) {
	fmt.Fprintln(w, "\nevery round (MB/s; files/s for many files; CPU and peak RSS of client+server):")
	for _, name := range r.order {
		var figs []string
		for _, run := range r.runs[name] {
			f := fmt.Sprintf("%.1f", run.MBps())
			if run.Files >= benchManyFiles {
				f = fmt.Sprintf("%.0f", run.FilesPerSec())
			}
			if run.Client != nil && run.Server != nil {
				f += fmt.Sprintf(" (cpu %.1f+%.1f s, rss %.0f+%.0f MB", run.Client.CPU.Seconds(), run.Server.CPU.Seconds(),
					float64(run.Client.PeakRSS)/1e6, float64(run.Server.PeakRSS)/1e6)
				if run.ChunkSize > 0 {
					f += ", chunk " + units.FormatSize(uint64(run.ChunkSize))
				}
				f += ")"
			}
			figs = append(figs, f)
		}
		fmt.Fprintf(w, "  %-16s %s\n", name, strings.Join(figs, "  "))
	}
}

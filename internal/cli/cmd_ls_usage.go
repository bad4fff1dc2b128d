package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/internal/units"
	"github.com/hoist-dev/hoist/transfer/store"
)

// lsReports are the operator's reports of `hoist ls`: --usage and --partial.
type lsReports struct {
	usage, partial bool
}

// addLsReportFlags registers --usage, --partial and --quota (which --usage
// compares against) on flags.
func addLsReportFlags(flags *pflag.FlagSet) *lsReports {
	r := &lsReports{}
	flags.BoolVar(&r.usage, "usage", false, "per-user totals instead of files: files, bytes held, bytes reserved by unfinished uploads, quota use")
	flags.BoolVar(&r.partial, "partial", false, "unfinished uploads instead of files: owner, age, bytes reserved and received")
	config.RegisterServerFlagsFor(flags, "serve.limits.quota")
	return r
}

// wanted reports whether a report replaces the file list.
func (r *lsReports) wanted() bool { return r.usage || r.partial }

// run writes the reports asked for, of the data directory root, for user
// (all users if empty), as tables or JSON lines.
func (r *lsReports) run(root, user string, quota int64, asJSON bool, stdout, stderr io.Writer) error {
	cat, err := openLsCatalog(root)
	if err != nil {
		return err
	}
	defer cat.Close()
	if cat.Snapshot {
		fmt.Fprintln(stderr, "hoist: the server is running: showing its catalog copy, as of the last completed file")
	}
	if r.usage {
		if err := writeUsage(cat, user, quota, asJSON, stdout, stderr); err != nil {
			return err
		}
	}
	if r.partial {
		if r.usage && !asJSON {
			fmt.Fprintln(stdout)
		}
		return writePartials(cat, user, time.Now(), asJSON, stdout, stderr)
	}
	return nil
}

// openLsCatalog opens the catalog of root as listFiles does.
func openLsCatalog(root string) (*store.Catalog, error) {
	if err := checkDataDir(root); err != nil {
		return nil, err
	}
	return store.OpenCatalog(root, 500*time.Millisecond)
}

// lsUsageJSON is one line of `hoist ls --usage --json`. Sizes are in bytes,
// with the same in human form alongside; Quota 0 means none, and
// UsedPercent is then absent.
type lsUsageJSON struct {
	User          string   `json:"user"`
	Files         int      `json:"files"`
	Held          int64    `json:"held"`
	HeldHuman     string   `json:"held_human"`
	Reserved      int64    `json:"reserved"`
	ReservedHuman string   `json:"reserved_human"`
	Quota         int64    `json:"quota"`
	QuotaHuman    string   `json:"quota_human,omitempty"`
	UsedPercent   *float64 `json:"used_percent,omitempty"`
}

func usageRecord(u store.UserUsage, quota int64) lsUsageJSON {
	rec := lsUsageJSON{User: u.Owner, Files: u.Files, Held: u.Completed, HeldHuman: formatSize(u.Completed),
		Reserved: u.Reserved, ReservedHuman: formatSize(u.Reserved), Quota: quota}
	if quota > 0 {
		pct := 100 * float64(u.Completed+u.Reserved) / float64(quota)
		rec.QuotaHuman, rec.UsedPercent = formatSize(quota), &pct
	}
	return rec
}

func writeUsage(cat *store.Catalog, user string, quota int64, asJSON bool, stdout, stderr io.Writer) error {
	all, err := cat.Usage()
	if err != nil {
		return err
	}
	var recs []lsUsageJSON
	for _, u := range all {
		if (user == "" || u.Owner == user) && (u.Files > 0 || u.Completed > 0 || u.Reserved > 0) {
			recs = append(recs, usageRecord(u, quota))
		}
	}
	if asJSON {
		return writeJSONLines(stdout, recs)
	}
	if len(recs) == 0 {
		fmt.Fprintln(stderr, "no user holds anything")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tFILES\tHELD\tRESERVED\tQUOTA\tUSED")
	for _, r := range recs {
		q, used := "none", "-"
		if r.UsedPercent != nil {
			q, used = r.QuotaHuman, fmt.Sprintf("%.1f%%", *r.UsedPercent)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", r.User, r.Files, r.HeldHuman, r.ReservedHuman, q, used)
	}
	return tw.Flush()
}

// lsPartialJSON is one line of `hoist ls --partial --json`: an unfinished
// upload. Reserved is the size of its files not yet complete, Received the
// bytes of theirs already durable; Age counts from its creation and Idle
// from the last chunk stored.
type lsPartialJSON struct {
	FID           string    `json:"fid"`
	User          string    `json:"user"`
	Files         int       `json:"files"`
	PendingFiles  int       `json:"pending_files"`
	Reserved      int64     `json:"reserved"`
	ReservedHuman string    `json:"reserved_human"`
	Received      int64     `json:"received"`
	ReceivedHuman string    `json:"received_human"`
	Created       time.Time `json:"created"`
	Touched       time.Time `json:"touched"`
	AgeSeconds    float64   `json:"age_seconds"`
	IdleSeconds   float64   `json:"idle_seconds"`
}

func partialRecord(p store.PartialUpload, now time.Time) lsPartialJSON {
	touched := p.Touched
	if touched.IsZero() {
		touched = p.Created
	}
	return lsPartialJSON{FID: p.FID.String(), User: p.Owner, Files: p.Files, PendingFiles: p.Pending,
		Reserved: p.Reserved, ReservedHuman: formatSize(p.Reserved), Received: p.Held, ReceivedHuman: formatSize(p.Held),
		Created: p.Created, Touched: touched,
		AgeSeconds: now.Sub(p.Created).Seconds(), IdleSeconds: now.Sub(touched).Seconds()}
}

func writePartials(cat *store.Catalog, user string, now time.Time, asJSON bool, stdout, stderr io.Writer) error {
	all, err := cat.Partials()
	if err != nil {
		return err
	}
	var recs []lsPartialJSON
	for _, p := range all {
		if user == "" || p.Owner == user {
			recs = append(recs, partialRecord(p, now))
		}
	}
	if asJSON {
		return writeJSONLines(stdout, recs)
	}
	if len(recs) == 0 {
		fmt.Fprintln(stderr, "no unfinished uploads")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FID\tUSER\tFILES\tRESERVED\tRECEIVED\tAGE\tIDLE")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%d of %d\t%s\t%s\t%s\t%s\n", r.FID, r.User, r.PendingFiles, r.Files, r.ReservedHuman, r.ReceivedHuman,
			formatAge(r.AgeSeconds), formatAge(r.IdleSeconds))
	}
	return tw.Flush()
}

// formatSize writes a byte count that cannot be negative for people.
func formatSize(n int64) string { return units.FormatSize(uint64(max(n, 0))) }

// formatAge writes seconds as a short duration: "45s", "12m5s", "3h12m",
// "9d4h".
func formatAge(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second))
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// checkDataDir fails with advice if root holds no hoist data.
func checkDataDir(root string) error {
	if _, err := os.Stat(filepath.Join(root, store.DBFile)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no hoist data in %s (a server creates it: hoist serve --root %s)", root, root)
	}
	return nil
}

// writeJSONLines writes each record as one JSON object per line.
func writeJSONLines[T any](w io.Writer, recs []T) error {
	enc := json.NewEncoder(w)
	for _, rec := range recs {
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	return nil
}

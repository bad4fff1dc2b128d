package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/internal/units"
	"github.com/hoist-dev/hoist/transfer/client"
	"github.com/hoist-dev/hoist/transfer/store"
)

const lsHelp = `With --server (or --profile), lists YOUR files on a hoist server, asking it
over the protocol with the same connection settings and token as 'hoist
send': path, size, the start of the sha256 (all of it with --json), tags
and completion time, in path order. --tag and --prefix filter
(--prefix photos/ for a directory).

With --root (for operators, on the server's machine), lists the completed
files a server has stored, from its metadata: name, user,
size, the start of the sha256, tags and completion time, oldest first. It
works while the server runs: the server keeps a copy of its metadata
(DIR/catalog.db) up to date after every completed file, and ls reads that
copy when the server holds the database.

The data directory DIR is found as 'hoist serve' finds it: --root, else
HOIST_ROOT, else [serve] root in the config file, else the default.`

const lsExamples = `  hoist ls --server tcp://files.example:7800 --token-file ~/.hoist.jwt --prefix photos/
  hoist ls --server ssh://alice@files.example --tag invoices --json
  hoist ls --root /srv/hoist
  hoist ls --root /srv/hoist --user alice --tag invoices
  hoist ls --json | jq -r .sha256        (one JSON object per line)`

// newLsCommand builds `hoist ls`, which lists completed files.
func newLsCommand(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ls",
		Short:   "List your files on a server, or a data directory's",
		Long:    lsHelp,
		Example: lsExamples,
		Args:    noArgs,
	}
	flags := cmd.Flags()
	config.RegisterRootFlags(flags)
	flags.MarkHidden("jwt-secret-file") // ls reads no key
	var q store.Query
	flags.StringVar(&q.User, "user", "", "only this `user`'s files")
	flags.StringVar(&q.Tag, "tag", "", "only files with this `tag`")
	asJSON := flags.Bool("json", false, "print one JSON object per file and line, with the full sha256 and stored path")
	reports := addLsReportFlags(flags)
	config.RegisterConnectionFlags(flags)
	prefix := flags.String("prefix", "", "with --server: only paths that begin with this `text` (photos/ for a directory)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		remote := flags.Changed("server") || flags.Changed("profile")
		switch {
		case remote && (flags.Changed("root") || flags.Changed("user")):
			return usagef(cmd, "--server lists your files on a server, --root (and --user) a data directory's: give one or the other")
		case !remote && *prefix != "":
			return usagef(cmd, "--prefix needs --server")
		case remote:
			c, _, err := config.LoadClient(flags, env.Getenv)
			if err != nil {
				return err
			}
			return listRemote(cmd.Context(), c, env, client.ListQuery{Prefix: *prefix, Tags: tagFilter(q.Tag)}, *asJSON)
		}
		cfg, _, err := config.LoadServer(flags, env.Getenv)
		if err != nil {
			return err
		}
		if reports.wanted() {
			if cfg.Meta.URL != "" {
				return usagef(cmd, "--usage and --partial read a data directory; with --meta only the file listing is available")
			}
			return reports.run(cfg.Root, q.User, cfg.Limits.Quota, *asJSON, env.Stdout, env.Stderr)
		}
		if cfg.Meta.URL != "" {
			return listClusterFiles(cmd.Context(), cfg.Meta.URL, q, *asJSON, env.Stdout, env.Stderr)
		}
		return listFiles(cfg.Root, q, *asJSON, env.Stdout, env.Stderr)
	}
	return cmd
}

// listFiles writes the completed files in the data directory root that q
// selects to stdout, as a table or as JSON lines.
func listFiles(root string, q store.Query, asJSON bool, stdout, stderr io.Writer) error {
	if _, err := os.Stat(filepath.Join(root, store.DBFile)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no hoist data in %s (a server creates it: hoist serve --root %s)", root, root)
	}
	cat, err := store.OpenCatalog(root, 500*time.Millisecond)
	if err != nil {
		return err
	}
	defer cat.Close()
	files, err := cat.Files(q)
	if err != nil {
		return err
	}
	return printFiles(files, asJSON, stdout, stderr)
}

// printFiles writes files to stdout, as a table or as JSON lines.
func printFiles(files []*store.File, asJSON bool, stdout, stderr io.Writer) error {
	if asJSON {
		enc := json.NewEncoder(stdout)
		for _, f := range files {
			if err := enc.Encode(lsRecord(f)); err != nil {
				return err
			}
		}
		return nil
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "no completed files")
		return nil
	}
	var rows [][]string
	for _, f := range files {
		name := f.Stored
		if f.Stored != f.Name {
			name = fmt.Sprintf("%s (sent as %s)", f.Stored, f.Name)
		}
		rows = append(rows, []string{clean(name), clean(f.Owner), units.FormatSize(f.Size), f.SHA256[:min(12, len(f.SHA256))],
			clean(strings.Join(f.Tags, ",")), f.Completed.Local().Format("2006-01-02 15:04:05")})
	}
	return writeTable(stdout, []string{"NAME", "USER", "SIZE", "SHA256", "TAGS", "COMPLETED"}, rows)
}

// lsJSON is one line of `hoist ls --json`.
type lsJSON struct {
	Name      string    `json:"name"`
	Stored    string    `json:"stored"`
	Path      string    `json:"path"`
	User      string    `json:"user"`
	Size      uint64    `json:"size"`
	SizeHuman string    `json:"size_human"`
	SHA256    string    `json:"sha256"`
	Tags      []string  `json:"tags"`
	FID       string    `json:"fid"`
	File      int       `json:"file"`
	Completed time.Time `json:"completed"`
}

func lsRecord(f *store.File) lsJSON {
	tags := f.Tags
	if tags == nil {
		tags = []string{}
	}
	return lsJSON{Name: f.Name, Stored: f.Stored, Path: f.Path(), User: f.Owner, Size: f.Size, SizeHuman: units.FormatSize(f.Size), SHA256: f.SHA256,
		Tags: tags, FID: f.FID.String(), File: f.Index, Completed: f.Completed}
}

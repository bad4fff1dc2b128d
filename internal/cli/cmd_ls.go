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
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/internal/units"
	"github.com/hoist-dev/hoist/transfer/store"
)

const lsHelp = `Lists the completed files a server has stored, from its metadata: name, user,
size, the start of the sha256, tags and completion time, oldest first. It
works while the server runs: the server keeps a copy of its metadata
(DIR/catalog.db) up to date after every completed file, and ls reads that
copy when the server holds the database.

The data directory DIR is found as 'hoist serve' finds it: --root, else
HOIST_ROOT, else [serve] root in the config file, else the default.`

const lsExamples = `  hoist ls --root /srv/hoist
  hoist ls --root /srv/hoist --user alice --tag invoices
  hoist ls --json | jq -r .sha256        (one JSON object per line)`

// newLsCommand builds `hoist ls`, which lists completed files.
func newLsCommand(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ls",
		Short:   "List completed uploads on the server's data directory",
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
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, _, err := config.LoadServer(flags, env.Getenv)
		if err != nil {
			return err
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
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tUSER\tSIZE\tSHA256\tTAGS\tCOMPLETED")
	for _, f := range files {
		name := f.Stored
		if f.Stored != f.Name {
			name = fmt.Sprintf("%s (sent as %s)", f.Stored, f.Name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, f.Owner, units.FormatSize(f.Size), f.SHA256[:min(12, len(f.SHA256))],
			strings.Join(f.Tags, ","), f.Completed.Local().Format("2006-01-02 15:04:05"))
	}
	return tw.Flush()
}

// lsJSON is one line of `hoist ls --json`.
type lsJSON struct {
	Name      string    `json:"name"`
	Stored    string    `json:"stored"`
	Path      string    `json:"path"`
	User      string    `json:"user"`
	Size      uint64    `json:"size"`
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
	return lsJSON{Name: f.Name, Stored: f.Stored, Path: f.Path(), User: f.Owner, Size: f.Size, SHA256: f.SHA256,
		Tags: tags, FID: f.FID.String(), File: f.Index, Completed: f.Completed}
}

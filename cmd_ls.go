package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hoist-dev/hoist/internal/units"
	"github.com/hoist-dev/hoist/transfer/store"
)

const lsHelp = `Usage: hoist ls [flags]

Lists the completed files a server has stored, from its metadata: name, user,
size, the start of the sha256, tags and completion time, oldest first. It
works while the server runs: the server keeps a copy of its metadata
(DIR/catalog.db) up to date after every completed file, and ls reads that
copy when the server holds the database.

Examples:
  hoist ls --root /srv/hoist
  hoist ls --root /srv/hoist --user alice --tag invoices
  hoist ls --json | jq -r .sha256        (one JSON object per line)

Flags:
`

// runLs lists completed files.
func runLs(ctx context.Context, args []string) error {
	return ls(args, os.Stdout, os.Stderr)
}

func ls(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("hoist ls", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() {
		fmt.Fprint(stderr, lsHelp)
		fset.PrintDefaults()
	}
	root := fset.String("root", defaultDataDir(), "data `directory` of the server")
	user := fset.String("user", "", "only this user's files")
	tag := fset.String("tag", "", "only files with this tag")
	asJSON := fset.Bool("json", false, "print one JSON object per file and line, with the full sha256 and stored path")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "hoist ls: unexpected argument %q\n", fset.Arg(0))
		return exitError{2}
	}
	if _, err := os.Stat(filepath.Join(*root, store.DBFile)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no hoist data in %s (a server creates it: hoist serve --root %s)", *root, *root)
	}
	cat, err := store.OpenCatalog(*root, 500*time.Millisecond)
	if err != nil {
		return err
	}
	defer cat.Close()
	files, err := cat.Files(store.Query{User: *user, Tag: *tag})
	if err != nil {
		return err
	}
	if *asJSON {
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

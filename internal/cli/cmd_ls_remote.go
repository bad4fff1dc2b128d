package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/internal/units"
	"github.com/hoist-dev/hoist/transfer/client"
)

// remoteEngine opens an engine for talking to the server of c without
// uploading: listing and removing.
func remoteEngine(c config.Client, env *Env) (*client.Engine, error) {
	tok, err := tokenSource(c)
	if err != nil {
		return nil, err
	}
	return client.New(engineOptions(c, tok, userJournal(env.Getenv)))
}

// tagFilter is the --tag filter as a list: none for "".
func tagFilter(tag string) []string {
	if tag == "" {
		return nil
	}
	return []string{tag}
}

// lsRemoteJSON is one line of `hoist ls --server --json`.
type lsRemoteJSON struct {
	Path   string    `json:"path"`
	Size   uint64    `json:"size"`
	SHA256 string    `json:"sha256"`
	Tags   []string  `json:"tags"`
	Time   time.Time `json:"time"`
}

// listRemote lists the user's files on the server of c that q selects.
func listRemote(ctx context.Context, c config.Client, env *Env, q client.ListQuery, asJSON bool) error {
	e, err := remoteEngine(c, env)
	if err != nil {
		return err
	}
	defer e.Close()
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		_, err := e.List(ctx, q, func(f client.RemoteFile) error {
			tags := f.Tags
			if tags == nil {
				tags = []string{}
			}
			return enc.Encode(lsRemoteJSON{Path: f.Path, Size: f.Size, SHA256: f.SHA256, Tags: tags, Time: f.Time})
		})
		return err
	}
	// A table needs every row for its widths; a listing too large for
	// that belongs in --json.
	var rows [][]string
	_, err = e.List(ctx, q, func(f client.RemoteFile) error {
		rows = append(rows, []string{clean(f.Path), units.FormatSize(f.Size), f.SHA256[:min(12, len(f.SHA256))],
			clean(strings.Join(f.Tags, ",")), f.Time.Local().Format("2006-01-02 15:04:05")})
		return nil
	})
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(env.Stderr, "no files")
		return nil
	}
	return writeTable(env.Stdout, []string{"PATH", "SIZE", "SHA256", "TAGS", "TIME"}, rows)
}

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/internal/units"
	"github.com/hoist-dev/hoist/transfer/client"
)

// This file holds what `hoist send` does with the journal of unfinished
// uploads: --list, --resume and --discard, each taking fids or unique
// prefixes of them.

// journalTokenSource is the token source for the journal commands: the one
// configured, or, when none is, a source that fails with the reason. Listing
// needs no token, and discarding still forgets the upload here without one
// (the server is then not told, which Cancel reports as a notice).
func journalTokenSource(c config.Client) client.TokenSource {
	tok, err := config.NewTokenSource(c)
	if err != nil {
		return client.TokenFunc(func(context.Context) (string, error) { return "", err })
	}
	return tok
}

// listJSON is one line of `hoist send --list --json`.
type listJSON struct {
	FID      string     `json:"fid"`
	ShortFID string     `json:"short_fid"`
	Server   string     `json:"server"`
	Created  time.Time  `json:"created"`
	Files    []listFile `json:"files"`
	Tags     []string   `json:"tags"`
	Bytes    uint64     `json:"bytes"`
	// HeldBy is the pid of the hoist process sending it, 0 for none.
	HeldBy int `json:"held_by"`
}

// listFile is one file of a listJSON.
type listFile struct {
	Path string `json:"path"`
	Name string `json:"name"`
	Size uint64 `json:"size"`
}

// listUnfinished writes the journal's unfinished uploads to stdout, as a
// table or as JSON lines. An empty journal says so on stderr (table only).
func listUnfinished(e *client.Engine, asJSON bool, stdout, stderr io.Writer) error {
	uploads, err := e.Journaled()
	if err != nil {
		fmt.Fprintf(stderr, "hoist send: some journal entries are unreadable: %v\n", err)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		for _, u := range uploads {
			if err := enc.Encode(listRecord(u)); err != nil {
				return err
			}
		}
		return nil
	}
	if len(uploads) == 0 {
		fmt.Fprintln(stderr, "no unfinished uploads")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FID\tFILES\tSIZE\tSERVER\tSTARTED\tSENDING")
	for _, u := range uploads {
		held := "-"
		if u.HeldBy > 0 {
			held = fmt.Sprintf("pid %d", u.HeldBy)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.ShortFID, fileNames(u.Files), units.FormatSize(u.Bytes),
			u.Server, u.Created.Local().Format("2006-01-02 15:04"), held)
	}
	return tw.Flush()
}

// fileNames names the files of an upload in a table cell: the first, and
// how many more.
func fileNames(files []client.JournalFile) string {
	switch len(files) {
	case 0:
		return "-"
	case 1:
		return files[0].Name
	}
	return fmt.Sprintf("%s and %d more", files[0].Name, len(files)-1)
}

func listRecord(u client.UnfinishedUpload) listJSON {
	r := listJSON{FID: u.FID, ShortFID: u.ShortFID, Server: u.Server, Created: u.Created, Tags: u.Tags,
		Bytes: u.Bytes, HeldBy: u.HeldBy, Files: []listFile{}}
	if r.Tags == nil {
		r.Tags = []string{}
	}
	for _, f := range u.Files {
		r.Files = append(r.Files, listFile{Path: f.Path, Name: f.Name, Size: f.Size})
	}
	return r
}

// resolveFIDs turns each fid or unique fid prefix into the full fid. Every
// prefix that names no upload, or several, is reported; the error says what
// to do.
func resolveFIDs(e *client.Engine, prefixes []string) ([]string, error) {
	var fids []string
	var errs []error
	seen := map[string]bool{}
	for _, p := range prefixes {
		fid, err := e.ResolveFID(p)
		switch {
		case errors.Is(err, client.ErrUnknownUpload):
			errs = append(errs, fmt.Errorf("%w (see 'hoist send --list' for the unfinished uploads)", err))
			continue
		case err != nil:
			errs = append(errs, err)
			continue
		}
		if !seen[fid] {
			seen[fid] = true
			fids = append(fids, fid)
		}
	}
	return fids, errors.Join(errs...)
}

// resumeUploads resumes the unfinished uploads that no process is sending,
// or those that prefixes name (fids or unique prefixes). Uploads that cannot
// resume, such as one another hoist process is sending, are reported on
// stderr; the error is non-nil when none could.
func resumeUploads(e *client.Engine, prefixes []string, stderr io.Writer) ([]string, error) {
	uploads, err := e.Journaled()
	if err != nil {
		fmt.Fprintf(stderr, "hoist send: some journal entries are unreadable: %v\n", err)
	}
	var wanted map[string]bool
	if len(prefixes) > 0 {
		fids, err := resolveFIDs(e, prefixes)
		if err != nil {
			return nil, err
		}
		wanted = map[string]bool{}
		for _, fid := range fids {
			wanted[fid] = true
		}
	}
	var fids []string
	failed := 0
	for _, u := range uploads {
		if wanted != nil && !wanted[u.FID] {
			continue
		}
		if wanted == nil && u.HeldBy > 0 {
			fmt.Fprintf(stderr, "hoist send: skipping %s: hoist process %d is sending it\n", u.ShortFID, u.HeldBy)
			continue
		}
		if err := e.ResumeJournal(u.JournalEntry); err != nil {
			var locked *client.UploadLockedError
			if errors.As(err, &locked) {
				fmt.Fprintf(stderr, "hoist send: %s\n", clean(err.Error()))
			} else {
				fmt.Fprintf(stderr, "hoist send: %s (give it up with 'hoist send --discard %s')\n", clean(err.Error()), u.ShortFID)
			}
			failed++
			continue
		}
		fids = append(fids, u.FID)
	}
	switch {
	case len(fids) == 0 && failed > 0:
		return nil, exitError{1}
	case len(fids) == 0:
		fmt.Fprintln(stderr, "hoist send: nothing to resume")
	}
	return fids, nil
}

// discard gives up the unfinished uploads that prefixes name: forgets them
// in the journal and asks their servers to drop the partial data. A server
// that keeps it is a notice, not a failure.
func discard(e *client.Engine, prefixes []string, stdout, stderr io.Writer) error {
	fids, err := resolveFIDs(e, prefixes)
	errs := []error{err}
	for _, fid := range fids {
		short := client.ShortFID(fid)
		err := e.Cancel(fid)
		switch {
		case errors.Is(err, client.ErrPartialKept):
			fmt.Fprintf(stdout, "discarded %s here\n", short)
			fmt.Fprintf(stderr, "hoist send: notice: %s\n", clean(err.Error()))
		case err != nil:
			errs = append(errs, err)
		default:
			fmt.Fprintf(stdout, "discarded %s; the server dropped its partial data\n", short)
		}
	}
	return errors.Join(errs...)
}

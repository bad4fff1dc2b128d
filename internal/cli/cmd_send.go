package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/transfer/client"
)

const sendHelp = `Uploads files, and directories recursively, to a hoist server as ONE upload,
then checks every file's sha256 against the server's. Each file is stored
under its base name; two files with the same base name in one upload are
refused (upload them separately). Dropped connections, resets and server
restarts are retried with backoff; only chunks the server does not hold yet
travel again. An upload that makes no progress gives up after 2 minutes of
reconnecting (--retry-budget; 0 retries forever) and says why; errors that
retrying cannot heal, such as an unknown host or a refused token, end it at
once, with a hint of what to do.

An upload is journaled in $XDG_STATE_HOME/hoist/uploads (else
~/.local/state/hoist/uploads) until it is verified. If hoist is interrupted
or killed, 'hoist send --resume [FID...]' continues every unfinished upload
(or the given fids), sending only what is missing; 'hoist send --discard
FID...' gives them up and tells the server to drop their partial data.
'hoist send --list' shows them with their short fids: every command that
takes a fid also takes a unique prefix of it.

On a terminal, progress is one updating line; otherwise plain lines at most
every 2 seconds plus every state change; with --json, one JSON event per line
(type "session", "chunk" or "progress"). The exit status is 0 only when every
file is verified.

Flags may come before or after the paths; a path that starts with "-" goes
after "--". Every connection flag can also be set in the config file or with
a HOIST_* variable: see 'hoist config --help'.`

const sendExamples = `  hoist send ~/Pictures/2024 --server tcp://files.example:7800 --token-file ~/.hoist.jwt --tag photos
  hoist send report.pdf --server ssh://alice@files.example --token-file ~/.hoist.jwt
  hoist send --resume --token-file ~/.hoist.jwt
  hoist send --json -- -odd-name.txt`

// sendSettings is everything `hoist send` runs with.
type sendSettings struct {
	client  config.Client
	json    bool
	resume  bool
	discard bool
	list    bool
	args    []string
}

// newSendCommand builds `hoist send`, which uploads, resumes or discards,
// as the flags say.
func newSendCommand(env *Env) *cobra.Command {
	var s sendSettings
	cmd := &cobra.Command{
		Use:     "send [flags] PATH...",
		Short:   "Upload files without the terminal UI",
		Long:    sendHelp,
		Example: sendExamples,
	}
	flags := cmd.Flags()
	config.RegisterClientFlags(flags)
	flags.BoolVar(&s.json, "json", false, "print one JSON event per line instead of progress")
	flags.BoolVar(&s.resume, "resume", false, "continue unfinished uploads from the journal: all, or the given fids (or unique prefixes)")
	flags.BoolVar(&s.discard, "discard", false, "give up the given unfinished uploads (fids or unique prefixes): forget them and tell their servers to drop the partial data")
	flags.BoolVar(&s.list, "list", false, "list the unfinished uploads in the journal (with --json, one JSON object per line)")
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		switch {
		case s.resume && s.discard, s.list && (s.resume || s.discard):
			return usagef(cmd, "--list, --resume and --discard exclude each other")
		case s.list && len(args) > 0:
			return usagef(cmd, "--list takes no arguments")
		case s.discard && len(args) == 0:
			return usagef(cmd, "--discard needs the fids to give up (see 'hoist send --list' for the unfinished ones)")
		case !s.resume && !s.discard && !s.list && len(args) == 0:
			return usagef(cmd, "nothing to upload: give files or directories (or --resume)")
		}
		return nil
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, _, err := config.LoadClient(flags, env.Getenv)
		if err != nil {
			return err
		}
		s.client, s.args = c, args
		return runSend(cmd.Context(), s, env)
	}
	return cmd
}

// runSend uploads, resumes or discards, as s says.
func runSend(ctx context.Context, s sendSettings, env *Env) error {
	tok, err := sendTokenSource(s)
	if err != nil {
		return err
	}
	e, err := client.New(engineOptions(s.client, tok, userJournal(env.Getenv)))
	if err != nil {
		return err
	}
	defer e.Close()
	switch {
	case s.list:
		return listUnfinished(e, s.json, env.Stdout, env.Stderr)
	case s.discard:
		return discard(e, s.args, env.Stdout, env.Stderr)
	}
	var fids []string
	if s.resume {
		fids, err = resumeUploads(e, s.args, env.Stderr)
	} else {
		var fid string
		fid, err = startUpload(e, s.client.Tags, s.args)
		fids = []string{fid}
	}
	if err != nil || len(fids) == 0 {
		return err
	}
	return watch(ctx, e, fids, newReporter(s.json, env.Stdout))
}

// sendTokenSource returns the token source the settings configure. Listing
// and discarding work without one.
func sendTokenSource(s sendSettings) (client.TokenSource, error) {
	if s.discard || s.list {
		return journalTokenSource(s.client), nil
	}
	return config.NewTokenSource(s.client)
}

// startUpload starts one upload of every file under paths.
func startUpload(e *client.Engine, tags, paths []string) (string, error) {
	files, err := collectFiles(paths)
	if err != nil {
		return "", err
	}
	return e.Start(client.Spec{Files: files, Tags: tags})
}

// collectFiles expands paths into the regular files to upload: files as
// given, directories recursively (symlinks to files are followed, symlinks
// to directories are not). Each is named by its base name; a name taken
// twice is an error naming both paths.
func collectFiles(paths []string) ([]client.LocalFile, error) {
	var files []client.LocalFile
	byName := map[string]string{}
	add := func(path string) error {
		abs, err := filepath.Abs(path)
		if err != nil {
			return err
		}
		name := filepath.Base(abs)
		if other, dup := byName[name]; dup {
			if other == abs {
				return nil // the same file given twice
			}
			return fmt.Errorf("%s and %s would both be stored as %q: upload them separately", other, abs, name)
		}
		byName[name] = abs
		files = append(files, client.LocalFile{Path: abs, Name: name})
		return nil
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			if !fi.Mode().IsRegular() {
				return nil, fmt.Errorf("%s is not a regular file or a directory", p)
			}
			if err := add(p); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			fi, err := os.Stat(path) // follows a symlink
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				return nil // sockets, devices, symlinks to directories
			}
			return add(path)
		})
		if err != nil {
			return nil, err
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no files under %s", strings.Join(paths, ", "))
	}
	return files, nil
}

// watch reports the events of the uploads fids until each has ended, and
// returns an error unless every file of every upload verified.
func watch(ctx context.Context, e *client.Engine, fids []string, r reporter) error {
	pending := map[string]bool{}
	for _, fid := range fids {
		pending[fid] = true
	}
	for len(pending) > 0 {
		select {
		case ev := <-e.Events():
			r.event(ev)
			if s, ok := ev.(*client.SessionEvent); ok && s.State.Final() {
				delete(pending, s.FID)
			}
		case <-ctx.Done():
			e.Close()
			r.interrupted()
			return fmt.Errorf("interrupted: %d upload(s) kept in the journal; continue with 'hoist send --resume'", len(pending))
		}
	}
	r.close()
	var errs []string
	for _, fid := range fids {
		if err := e.Wait(ctx, fid); err != nil {
			errs = append(errs, clean(fmt.Sprintf("upload %s: %v", fid, err)))
			if hint := client.Hint(err); hint != "" {
				errs = append(errs, "  what to do: "+hint)
			}
		}
	}
	if len(errs) > 0 {
		// Cleaned: the reasons name local files and quote the server.
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/transfer/client"
)

const sendHelp = `Uploads files, and directories recursively, to a hoist server as ONE job,
then checks every file's sha256 against the server's. A file is stored under
its base name; a directory DIR under its base name with the paths below it
(DIR/sub/notes.txt), as scp -r and rsync do; DIR/ with a trailing slash sends
only what DIR holds (sub/notes.txt), as rsync does. Empty directories are not
sent (hoist sends files) and are counted in the summary. Dropped connections,
resets and server restarts are retried with backoff; only chunks the server
does not hold yet travel again. An upload that makes no progress gives up
after 2 minutes of reconnecting (--retry-budget; 0 retries forever) and says
why; errors that retrying cannot heal, such as an unknown host or a refused
token, end it at once, with a hint of what to do.

Before sending, hoist asks the server which of the paths it already holds:
a file with the same path, size and sha256 is not sent and is reported as
already there. A file whose path holds other content on the server is sent
and stored under a new name, which is reported ("stored as"). More files
than the server takes in one upload go up as consecutive parts of the job.

--exclude GLOB (repeatable) leaves out paths relative to each directory sent:
"*", "?" and "[...]" stay within one path element, "**" matches any number
of elements, and a pattern without "/" matches a name at any depth
("*.tmp", "**/node_modules", "build/*.o"); a file named on the command line
is always sent. A file whose path the server cannot store (a backslash or
control character in a name) is named and not sent; the others are, and
the exit status is not 0. --limit-rate 2MiB caps the bytes sent per second.

Inside a directory, what cannot be sent is skipped with a warning and the
rest goes on: files and directories that cannot be read, dangling symbolic
links, symbolic link loops, and pipes, sockets and devices. Every skipped
path is listed again at the end ("skipped N:"; with --json, a "skipped"
event each and walk.skipped in the job's events). The exit status stays 0
unless --strict (strict = true) is given: then any skipped path makes it 1,
after everything else is sent. A path named on the command line that cannot
be read is an error, before anything is sent. Symbolic links to directories
are followed and sent under the link's name (--follow-links, the default;
each directory once on any path, so a loop is skipped); --no-follow-links
skips and reports them. A directory named on the command line is followed
either way.

An upload is journaled in $XDG_STATE_HOME/hoist/uploads (else
~/.local/state/hoist/uploads) until it is verified. If hoist is interrupted
or killed, 'hoist send --resume [FID...]' continues every unfinished upload
(or the given fids), sending only what is missing; 'hoist send --discard
FID...' gives them up and tells the server to drop their partial data.
'hoist send --list' shows them with their short fids: every command that
takes a fid also takes a unique prefix of it.

On a terminal, progress is one updating line; otherwise plain lines at most
every 2 seconds plus every state change; with --json, one JSON event per line
(type "job", "skipped", "already_there", "session", "chunk" or "progress"). The exit status is 0 only when every
file is verified (skipped paths aside, unless --strict).

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
	config.RegisterSendFlags(flags)
	addNegatedFlag(flags, "follow-links")
	flags.BoolVar(&s.json, "json", false, "print one JSON event per line instead of progress")
	flags.BoolVar(&s.resume, "resume", false, "continue unfinished uploads from the journal: all, or the given fids (or unique prefixes)")
	flags.BoolVar(&s.discard, "discard", false, "give up the given unfinished uploads (fids or unique prefixes): forget them and tell their servers to drop the partial data")
	flags.BoolVar(&s.list, "list", false, "list the unfinished uploads in the journal (with --json, one JSON object per line)")
	var viaAgent agentSend
	flags.BoolVar(&viaAgent.detach, "detach", false, "hand the upload to the background agent and print its short fid (a directory, or more than 1000 files, goes as a job sent in parts: its short job id)")
	flags.BoolVar(&viaAgent.wait, "wait", false, "wait until the agent's uploads with the given fids end; fail unless they verified")
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
		if handled, err := runSendAgent(cmd.Context(), viaAgent, s, env); handled {
			return err
		}
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
		return sendTree(ctx, e, s, env)
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
	return tokenSource(s.client)
}

// sendTree sends the paths of s as one job and reports on it.
func sendTree(ctx context.Context, e *client.Engine, s sendSettings, env *Env) error {
	x, err := client.NewExcludes(s.client.Exclude)
	if err != nil {
		return err
	}
	job, err := e.StartTree(client.TreeSpec{Paths: s.args, Tags: s.client.Tags, Exclude: x,
		SkipLinkedDirs: !s.client.FollowLinks, Strict: s.client.Strict})
	if err != nil {
		return err
	}
	return watchJob(ctx, e, job, newReporter(s.json, env.Stdout))
}

// watchJob reports the events of job until it has ended, and returns an
// error unless every file was verified or already there.
func watchJob(ctx context.Context, e *client.Engine, job string, r reporter) error {
	for {
		select {
		case ev := <-e.Events():
			r.event(ev)
			if j, ok := ev.(*client.JobEvent); ok && j.Job == job && j.Kind == client.JobDone {
				r.close()
				if j.Err != nil {
					return errors.New(strings.Join(failureLines("job "+job, j.Err), "\n"))
				}
				return nil
			}
		case <-ctx.Done():
			e.Close()
			r.interrupted()
			return errors.New("interrupted: the running part stays in the journal ('hoist send --resume' continues it); sending the same paths again skips the files already there")
		}
	}
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
			errs = append(errs, failureLines("upload "+fid, err)...)
		}
	}
	if len(errs) > 0 {
		// Cleaned: the reasons name local files and quote the server.
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

// failureLines says why what failed, cleaned (the reason names local files
// and quotes the server), and what to do about it where client.Hint knows.
func failureLines(what string, err error) []string {
	lines := []string{clean(fmt.Sprintf("%s: %v", what, err))}
	if hint := client.Hint(err); hint != "" {
		lines = append(lines, "  what to do: "+hint)
	}
	return lines
}

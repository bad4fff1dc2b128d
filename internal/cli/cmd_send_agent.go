package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hoist-dev/hoist/transfer/agent"
	"github.com/hoist-dev/hoist/transfer/client"
)

// agentSend is what `hoist send --detach` and `--wait` do.
type agentSend struct {
	detach bool
	wait   bool
}

// runSendAgent hands an upload to the agent (--detach), printing its short
// fid, or waits for the agent's uploads named by fids (--wait). handled is
// false when neither flag is set: then `hoist send` uploads itself.
func runSendAgent(ctx context.Context, a agentSend, s sendSettings, env *Env) (handled bool, err error) {
	switch {
	case !a.detach && !a.wait:
		return false, nil
	case a.detach && a.wait:
		return true, fmt.Errorf("--detach and --wait exclude each other: --detach prints the fid to --wait for")
	case s.resume || s.discard:
		return true, fmt.Errorf("--resume and --discard work on the journal here, not with --detach or --wait")
	case a.detach:
		return true, detachUpload(ctx, s, env)
	}
	return true, waitUploads(ctx, s.args, env)
}

func detachUpload(ctx context.Context, s sendSettings, env *Env) error {
	set, err := agentSettings(s.client, false)
	if err != nil {
		return err
	}
	x, err := client.NewExcludes(s.client.Exclude)
	if err != nil {
		return err
	}
	if detachAsJob(s.args) {
		return detachTree(ctx, s, set, env)
	}
	files, err := client.CollectFiles(s.args, x)
	if err != nil {
		return err
	}
	c, err := ensureAgent(ctx, env.Getenv)
	if err != nil {
		return err
	}
	defer c.Close()
	var af []agent.File
	for _, f := range files {
		af = append(af, agent.File{Path: f.Path, Name: f.Name})
	}
	fid, err := c.Start(ctx, set, "", af, s.client.Tags)
	if err != nil {
		return fmt.Errorf("the hoist agent could not start the upload: %w", err)
	}
	_, err = fmt.Fprintln(env.Stdout, client.ShortFID(fid))
	return err
}

// detachAsJob reports whether --detach hands paths to the agent as a job
// (sent in parts, files already on the server skipped, as `hoist send`
// without --detach does) rather than as one upload: when a directory is
// among them, or more files than a server takes in one upload by default.
func detachAsJob(paths []string) bool {
	if len(paths) > client.DefaultMaxFiles {
		return true
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// detachTree hands paths to the agent as a job and prints its short id,
// which `hoist send --wait` and `hoist status` know.
func detachTree(ctx context.Context, s sendSettings, set agent.Settings, env *Env) error {
	tree := agent.Tree{Exclude: s.client.Exclude, SkipLinkedDirs: !s.client.FollowLinks, Strict: s.client.Strict}
	for _, p := range s.args {
		abs, err := absKeepingSlash(p)
		if err != nil {
			return err
		}
		tree.Paths = append(tree.Paths, abs)
	}
	c, err := ensureAgent(ctx, env.Getenv)
	if err != nil {
		return err
	}
	defer c.Close()
	job, err := c.StartTree(ctx, set, tree, s.client.Tags)
	if err != nil {
		return fmt.Errorf("the hoist agent could not start sending %s: %w", strings.Join(s.args, ", "), err)
	}
	_, err = fmt.Fprintln(env.Stdout, client.ShortFID(job))
	return err
}

// absKeepingSlash makes p absolute for the agent, which runs in another
// directory, keeping what a trailing slash or a final "." says: send the
// directory's contents, not the directory.
func absKeepingSlash(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	if strings.HasSuffix(p, "/") || strings.HasSuffix(p, string(filepath.Separator)) || filepath.Base(p) == "." {
		abs += string(filepath.Separator)
	}
	return abs, nil
}

// waitUploads blocks until each of the agent's uploads fids ends; it fails
// unless all of them verified.
func waitUploads(ctx context.Context, fids []string, env *Env) error {
	c, err := dialAgent(ctx, env.Getenv)
	if err != nil {
		return err
	}
	defer c.Close()
	var errs []string
	for _, fid := range fids {
		full, err := c.Wait(ctx, fid)
		if err != nil {
			errs = append(errs, clean(fmt.Sprintf("upload %s: %v", fid, err)))
			continue
		}
		fmt.Fprintf(env.Stdout, "%s verified\n", client.ShortFID(full))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

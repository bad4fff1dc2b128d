package cli

import (
	"context"
	"fmt"
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

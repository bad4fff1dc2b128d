package cli

import (
	"context"
	"fmt"
	"io/fs"
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
	files, err := collectFiles(s.args, s.client.Exclude)
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

// collectFiles expands paths into the files of one detached upload, named
// as `hoist send` names them: a file by its base name, a directory DIR by
// its base name and the paths below it (DIR/sub/notes.txt), DIR/ by the
// paths below it only. Excluded paths, empty directories and anything but
// regular files are left out. Unlike `hoist send` without --detach, a
// detached send is one upload: a tree larger than the server takes in one
// upload is refused by the server (send it without --detach).
func collectFiles(paths []string, excludes []string) ([]client.LocalFile, error) {
	x, err := client.NewExcludes(excludes)
	if err != nil {
		return nil, err
	}
	var files []client.LocalFile
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			if !fi.Mode().IsRegular() {
				return nil, fmt.Errorf("%s is not a regular file or a directory", p)
			}
			files = append(files, client.LocalFile{Path: abs, Name: filepath.Base(abs)})
			continue
		}
		prefix := filepath.Base(abs) + "/"
		if strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.") || p == "." {
			prefix = ""
		}
		err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(abs, path)
			rel = filepath.ToSlash(rel)
			if rel != "." && x.Match(rel) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, client.LocalFile{Path: path, Name: prefix + rel})
			}
			return nil
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

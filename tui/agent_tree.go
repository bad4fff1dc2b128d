package tui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hoist-dev/hoist/transfer/agent"
	"github.com/hoist-dev/hoist/transfer/client"
)

// RemoteFiles reads and removes the user's files on the server. An
// EngineUploader does it itself; an AgentUploader, whose agent carries only
// uploads, is given one (an engine of the UI's own, which starts no upload).
type RemoteFiles interface {
	List(ctx context.Context, q client.ListQuery, each func(client.RemoteFile) error) (client.ServerLimits, error)
	Lookup(ctx context.Context, paths []string) (map[string]client.RemoteFile, error)
	Remove(ctx context.Context, paths []string) ([]string, error)
}

// errNoRemote is what the remote operations of an AgentUploader answer
// when it was given no RemoteFiles.
var errNoRemote = errors.New("listing the server is not available while attached to the agent: run hoist with --agent never, or use 'hoist ls --server'")

// StartTree implements Uploader: the agent runs the tree as a job, in
// parts, as an EngineUploader's engine does; its events come through the
// subscription.
func (u *AgentUploader) StartTree(t Tree) (string, error) {
	tree := agent.Tree{Exclude: t.Exclude.Patterns(), ExcludeWithin: t.Exclude.Base()}
	for _, p := range t.Paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		if strings.HasSuffix(p, "/") || strings.HasSuffix(p, string(filepath.Separator)) {
			abs += string(filepath.Separator)
		}
		tree.Paths = append(tree.Paths, abs)
	}
	ctx, cancel := u.ctx()
	defer cancel()
	return u.c.StartTree(ctx, u.set, tree, t.Tags)
}

// CancelJob implements Uploader: the agent stops the job, its running
// part included.
func (u *AgentUploader) CancelJob(job string) error { return u.call(u.c.Cancel, job) }

// List implements Uploader through the RemoteFiles given.
func (u *AgentUploader) List(ctx context.Context, q client.ListQuery, each func(client.RemoteFile) error) error {
	if u.remote == nil {
		return errNoRemote
	}
	_, err := u.remote.List(ctx, q, each)
	return err
}

// Lookup implements Uploader through the RemoteFiles given.
func (u *AgentUploader) Lookup(ctx context.Context, paths []string) (map[string]client.RemoteFile, error) {
	if u.remote == nil {
		return nil, errNoRemote
	}
	return u.remote.Lookup(ctx, paths)
}

// Remove implements Uploader through the RemoteFiles given.
func (u *AgentUploader) Remove(ctx context.Context, paths []string) ([]string, error) {
	if u.remote == nil {
		return nil, errNoRemote
	}
	return u.remote.Remove(ctx, paths)
}

// SetRateLimit implements Uploader: the agent caps the uploads it runs
// with this UI's connection settings, all together, those other UIs and
// 'hoist send --detach' started with the same settings included.
func (u *AgentUploader) SetRateLimit(bytesPerSecond int64) error {
	u.mu.Lock()
	u.rate = bytesPerSecond
	u.mu.Unlock()
	ctx, cancel := u.ctx()
	defer cancel()
	if err := u.c.SetRateLimit(ctx, u.set, bytesPerSecond); err != nil {
		return fmt.Errorf("the agent did not take the rate limit: %w", err)
	}
	return nil
}

// RateLimit implements Uploader: the agent's cap, or the last one set
// here if the agent cannot say.
func (u *AgentUploader) RateLimit() int64 {
	ctx, cancel := u.ctx()
	defer cancel()
	rate, err := u.c.RateLimit(ctx, u.set)
	u.mu.Lock()
	defer u.mu.Unlock()
	if err == nil {
		u.rate = rate
	}
	return u.rate
}

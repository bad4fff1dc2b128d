package client

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// walkHooks are what walkRoots tells its caller as it goes.
type walkHooks struct {
	// emit takes each regular file to send, named by its path on the
	// server.
	emit func(LocalFile, uint64) error
	// report is called with the counts as they grow (throttled) and once
	// more at the end, with Done set.
	report func(WalkProgress)
	// unsendable is called with each file whose path the protocol cannot
	// carry.
	unsendable func(path string, err error)
	// skipped is called with each path left out because it cannot be
	// sent, and why.
	skipped func(path, reason string)
}

// treeWalker walks the roots of one job.
type treeWalker struct {
	ctx         context.Context
	x           Excludes
	followLinks bool
	hooks       walkHooks
	w           WalkProgress
	last        time.Time
	// ancestors are the directories from the root down to the one being
	// walked, to tell a symbolic link that leads back up (a loop).
	ancestors []ancestor
}

type ancestor struct {
	path string
	info fs.FileInfo
}

// walkRoots walks the roots in order and hands each regular file to
// hooks.emit. Excluded paths are matched relative to their root. What
// cannot be sent (see WalkProgress.Skipped) is passed to hooks.skipped and
// the walk goes on; only a root that cannot be read, or ctx, or emit, stops
// it with an error. Symbolic links to directories are followed unless
// skipLinkedDirs; a link back to a directory being walked is a loop,
// skipped, so each directory is entered at most once on any path from its
// root (device and inode tell them apart).
func walkRoots(ctx context.Context, roots []treeRoot, x Excludes, skipLinkedDirs bool, hooks walkHooks) (WalkProgress, error) {
	t := &treeWalker{ctx: ctx, x: x, followLinks: !skipLinkedDirs, hooks: hooks, last: time.Now()}
	for _, r := range roots {
		if !r.dir {
			fi, err := os.Stat(r.path)
			if err != nil {
				return t.w, err
			}
			if err := t.send(LocalFile{Path: r.path, Name: r.prefix}, uint64(fi.Size())); err != nil {
				return t.w, err
			}
			continue
		}
		fi, err := os.Stat(r.path)
		if err != nil {
			return t.w, err
		}
		entries, err := os.ReadDir(r.path)
		if err != nil {
			return t.w, err // named on the command line: not skipped
		}
		if err := t.walkDir(r, r.path, "", fi, entries); err != nil {
			return t.w, err
		}
	}
	t.w.Done = true
	t.hooks.report(t.w)
	return t.w, nil
}

// walkDir walks the entries of the directory at path (rel from its root,
// "" for the root itself), whose information is fi.
func (t *treeWalker) walkDir(r treeRoot, path, rel string, fi fs.FileInfo, entries []fs.DirEntry) error {
	t.w.Dirs++
	if len(entries) == 0 && rel != "" {
		t.w.EmptyDirs++
	}
	t.ancestors = append(t.ancestors, ancestor{path: path, info: fi})
	defer func() { t.ancestors = t.ancestors[:len(t.ancestors)-1] }()
	for _, d := range entries {
		if err := t.ctx.Err(); err != nil {
			return err
		}
		if err := t.entry(r, filepath.Join(path, d.Name()), joinRel(rel, d.Name()), d); err != nil {
			return err
		}
		t.tick()
	}
	return nil
}

// entry handles one entry of a directory: a file is sent, a directory
// walked, a symbolic link followed to what it leads to, anything else
// skipped.
func (t *treeWalker) entry(r treeRoot, path, rel string, d fs.DirEntry) error {
	if t.x.matchPath(path, rel) {
		t.w.Excluded++
		return nil
	}
	link := d.Type()&fs.ModeSymlink != 0
	fi, err := os.Stat(path) // follows a symbolic link
	switch {
	case err != nil && link:
		return t.skip(path, brokenLinkReason(path, err))
	case err != nil:
		return t.skip(path, "vanished or cannot be read: "+errText(err))
	case fi.IsDir() && link && !t.followLinks:
		return t.skip(path, "symlinked directory not followed: use --follow-links")
	case fi.IsDir():
		for _, a := range t.ancestors {
			if os.SameFile(a.info, fi) {
				return t.skip(path, fmt.Sprintf("symbolic link loop: leads back to %s", a.path))
			}
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			// Some entries may have been read; without all of them
			// the directory is not sent at all.
			return t.skip(path, "cannot read the directory: "+errText(err))
		}
		return t.walkDir(r, path, rel, fi, entries)
	case !fi.Mode().IsRegular():
		return t.skip(path, fmt.Sprintf("not a regular file (%s)", kindOf(fi.Mode())))
	}
	if err := checkReadable(path); err != nil {
		return t.skip(path, "cannot read the file: "+errText(err))
	}
	name := rel
	if r.prefix != "" {
		name = r.prefix + "/" + rel
	}
	return t.send(LocalFile{Path: path, Name: norm.NFC.String(name)}, uint64(fi.Size()))
}

// send hands a file to emit, unless its path cannot be sent.
func (t *treeWalker) send(lf LocalFile, size uint64) error {
	if err := wire.CheckPath(lf.Name); err != nil {
		t.w.Unsendable++
		t.hooks.unsendable(lf.Path, err)
		return nil
	}
	t.w.Files++
	t.w.Bytes += size
	return t.hooks.emit(lf, size)
}

// skip counts and reports a path left out; the walk goes on.
func (t *treeWalker) skip(path, reason string) error {
	t.w.Skipped++
	t.hooks.skipped(path, reason)
	return nil
}

// tick reports the counts at most every reportEvery.
func (t *treeWalker) tick() {
	if now := time.Now(); now.Sub(t.last) >= reportEvery {
		t.last = now
		t.hooks.report(t.w)
	}
}

func joinRel(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + "/" + name
}

// brokenLinkReason says why the symbolic link at path leads nowhere.
func brokenLinkReason(path string, err error) string {
	target, _ := os.Readlink(path)
	switch {
	case errors.Is(err, syscall.ELOOP):
		return fmt.Sprintf("symbolic link loop (%s)", target)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("dangling symbolic link: %s does not exist", target)
	}
	return fmt.Sprintf("cannot follow the symbolic link to %s: %s", target, errText(err))
}

// errText is the reason of a file system error without the path, which
// the caller names anyway: "permission denied".
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// kindOf names the type of a file that is not regular.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

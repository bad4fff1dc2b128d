package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// WalkProgress counts what a job's walk of its tree has found so far.
type WalkProgress struct {
	// Files and Bytes count the regular files to send (before the check
	// for files already on the server).
	Files int
	Bytes uint64
	// Dirs counts the directories walked.
	Dirs int
	// EmptyDirs counts directories with nothing in them: the protocol
	// carries files, so they are not created on the server.
	EmptyDirs int
	// Excluded counts the files and directories left out by the
	// exclude patterns (a directory counts once, whatever it holds).
	Excluded int
	// Skipped counts entries that are neither regular files nor
	// directories (sockets, devices, symbolic links to directories).
	Skipped int
	// Unsendable counts files whose path the protocol cannot carry (a
	// control character or backslash in a name, an element over 255
	// bytes, a path over 4,096): they are not sent, and the job fails
	// once the others are.
	Unsendable int
	// Done is set on the walk's last report.
	Done bool
}

// treeRoot is one path of a TreeSpec, resolved.
type treeRoot struct {
	path   string // as given, cleaned
	dir    bool
	prefix string // the path the root's entries go under on the server ("" for a dir/ root)
}

// resolveRoots checks that every path exists and says under which path
// each is sent: a file as its base name, a directory as its base name with
// its contents below it, a directory with a trailing slash as its contents
// only. Two roots sent under the same name are an error.
func resolveRoots(paths []string) ([]treeRoot, error) {
	var roots []treeRoot
	byName := map[string]string{}
	for _, p := range paths {
		// "dir/", and "." or "dir/." (which name no directory of their
		// own), send what the directory holds.
		contentsOnly := len(p) > 1 && (strings.HasSuffix(p, "/") || strings.HasSuffix(p, string(filepath.Separator))) ||
			filepath.Base(p) == "."
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, err
		}
		r := treeRoot{path: abs, dir: fi.IsDir()}
		if r.dir {
			// A symbolic link to a directory is walked as the directory
			// (WalkDir would not enter it), sent under the link's name.
			if r.path, err = filepath.EvalSymlinks(abs); err != nil {
				return nil, err
			}
		}
		switch {
		case !r.dir && !fi.Mode().IsRegular():
			return nil, fmt.Errorf("%s is not a regular file or a directory", p)
		case r.dir && contentsOnly:
			// rsync's rule: "dir/" sends what dir holds.
		default:
			r.prefix = norm.NFC.String(filepath.Base(abs))
			if other, dup := byName[r.prefix]; dup {
				if other == abs {
					continue // the same path given twice
				}
				return nil, fmt.Errorf("%s and %s would both be sent as %q: send them separately, or one as %s/ (its contents)", other, abs, r.prefix, other)
			}
			byName[r.prefix] = abs
		}
		roots = append(roots, r)
	}
	return roots, nil
}

// walkRoots walks the roots in order and hands each regular file to emit,
// named by its path on the server. Excluded paths are matched relative to
// their root. report is called with the counts as they grow (the caller
// throttles) and once more at the end, with Done set; unsendable with each
// file whose path the protocol cannot carry.
func walkRoots(ctx context.Context, roots []treeRoot, x Excludes, emit func(LocalFile, uint64) error,
	report func(WalkProgress), unsendable func(path string, err error)) (WalkProgress, error) {
	var w WalkProgress
	send := func(lf LocalFile, size uint64) error {
		if err := wire.CheckPath(lf.Name); err != nil {
			w.Unsendable++
			unsendable(lf.Path, err)
			return nil
		}
		w.Files++
		w.Bytes += size
		return emit(lf, size)
	}
	last := time.Now()
	tick := func() {
		if now := time.Now(); now.Sub(last) >= reportEvery {
			last = now
			report(w)
		}
	}
	for _, r := range roots {
		if !r.dir {
			fi, err := os.Stat(r.path)
			if err != nil {
				return w, err
			}
			if err := send(LocalFile{Path: r.path, Name: r.prefix}, uint64(fi.Size())); err != nil {
				return w, err
			}
			continue
		}
		err := filepath.WalkDir(r.path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			defer tick()
			rel, err := filepath.Rel(r.path, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if rel != "." && x.Match(rel) {
				w.Excluded++
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				w.Dirs++
				if empty, err := dirEmpty(p); err == nil && empty && rel != "." {
					w.EmptyDirs++
				}
				return nil
			}
			fi, err := os.Stat(p) // follows a symbolic link to a file
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				w.Skipped++
				return nil
			}
			name := rel
			if r.prefix != "" {
				name = r.prefix + "/" + rel
			}
			return send(LocalFile{Path: p, Name: norm.NFC.String(name)}, uint64(fi.Size()))
		})
		if err != nil {
			return w, err
		}
	}
	w.Done = true
	report(w)
	return w, nil
}

// dirEmpty reports whether the directory at p has no entries.
func dirEmpty(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

package client

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/unicode/norm"
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
	// Skipped counts the paths left out because they cannot be sent:
	// special files (sockets, pipes, devices), files and directories that
	// cannot be read, dangling symbolic links, symbolic link loops, and
	// symbolic links to directories when TreeSpec.SkipLinkedDirs is set.
	// Each is reported by a JobSkipped event; a directory counts once,
	// whatever it holds.
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
		}
		if err := checkReadable(r.path); err != nil {
			return nil, fmt.Errorf("cannot read %s (named on the command line, so not skipped): %w", p, err)
		}
		switch {
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

// checkReadable opens path and closes it again: a root named explicitly
// that cannot be read is an error, not a skipped path.
func checkReadable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return f.Close()
}

package client

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CollectFiles expands paths into the files of one upload, named as
// StartTree names them: a file by its base name, a directory DIR by
// its base name and the paths below it (DIR/sub/notes.txt), DIR/ by the
// paths below it only. Excluded paths, empty directories and anything but
// regular files are left out; x leaves paths out as it does for a job. Unlike a job, a
// list like this is one upload: a tree larger than the server takes in
// one upload is refused by the server (StartTree splits it instead). It
// serves where a job cannot run, such as a background agent.
func CollectFiles(paths []string, x Excludes) ([]LocalFile, error) {
	var files []LocalFile
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
			files = append(files, LocalFile{Path: abs, Name: filepath.Base(abs)})
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
			if rel != "." && x.matchPath(path, rel) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, LocalFile{Path: path, Name: prefix + rel})
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

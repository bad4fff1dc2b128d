package bench

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// benchSameFiles reports an error unless the files at a and b hold the same bytes.
func benchSameFiles(a, b string) error {
	da, err := benchDigest(a)
	if err != nil {
		return err
	}
	db, err := benchDigest(b)
	if err != nil {
		return err
	}
	if !bytes.Equal(da, db) {
		return fmt.Errorf("%s and %s differ", a, b)
	}
	return nil
}

// benchSameTrees reports an error unless the regular files under a and under
// b have the same contents, counted as a multiset (names may differ).
func benchSameTrees(a, b string) error {
	da, err := benchTreeDigests(a)
	if err != nil {
		return err
	}
	db, err := benchTreeDigests(b)
	if err != nil {
		return err
	}
	if !slices.Equal(da, db) {
		return fmt.Errorf("%s holds %d files, %s %d, or their contents differ", a, len(da), b, len(db))
	}
	return nil
}

// benchTreeDigests returns the sorted sha256 digests of the regular files
// under roots (each a file or a directory).
func benchTreeDigests(roots ...string) ([]string, error) {
	var sums []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			sum, err := benchDigest(path)
			sums = append(sums, string(sum))
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(sums)
	return sums, nil
}

func benchDigest(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return h.Sum(nil), nil
}

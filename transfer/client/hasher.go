package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// hashResult is the local sha256 of one file, or why it could not be taken.
type hashResult struct {
	file int
	sha  string
	err  error
}

// hashFiles computes the sha256 of each file in turn and sends one result per
// file, in parallel with the transfer (the chunks it reads were usually just
// read by the sender and are in the page cache). A file is checked against
// its recorded size and modification time before and after hashing, so a
// digest always describes the content the upload started from. It returns
// early when ctx ends; results is buffered for every file.
func hashFiles(ctx context.Context, files []*upFile, results chan<- hashResult) {
	buf := make([]byte, 1<<20)
	for _, f := range files {
		if ctx.Err() != nil {
			return
		}
		sha, err := hashFile(ctx, f, buf)
		results <- hashResult{file: f.index, sha: sha, err: err}
	}
}

func hashFile(ctx context.Context, f *upFile, buf []byte) (string, error) {
	if err := f.checkUnchanged(); err != nil {
		return "", err
	}
	h, err := os.Open(f.path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.path, err)
	}
	defer h.Close()
	d := sha256.New()
	var off int64
	for {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		n, err := h.ReadAt(buf, off)
		d.Write(buf[:n])
		off += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", f.path, err)
		}
	}
	if uint64(off) != f.size {
		return "", fmt.Errorf("%s: %w: read %d bytes, expected %d", f.path, ErrFileChanged, off, f.size)
	}
	if err := f.checkUnchanged(); err != nil {
		return "", err
	}
	return hex.EncodeToString(d.Sum(nil)), nil
}

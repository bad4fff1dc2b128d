package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// maxVariantPages bounds the LIST pages read for one file's numbered
// variants.
const maxVariantPages = 4

// skipExisting asks the server for the part's paths and drops the files it
// holds with the same size and sha256 (hashing only those whose size
// matches). Where the path holds other content, the file may have been
// sent before and stored under a numbered variant of its name ("notes
// (2).txt", PROTOCOL.md §8): those are looked at too, so that sending a
// changed tree twice stores it once. A failure to ask sends everything.
func (j *job) skipExisting(ctx context.Context, p partFiles) (partFiles, int) {
	remote, err := j.lookup(ctx, p.files)
	if err != nil {
		if ctx.Err() == nil {
			j.event(JobEvent{Kind: JobNote, Note: fmt.Sprintf("could not ask the server which files it holds (%v): sending them all", err)})
		}
		return p, 0
	}
	var out partFiles
	skipped := 0
	buf := make([]byte, 1<<20)
	j.digests = make(map[string]string) // this part's only
	for i, lf := range p.files {
		rf, ok := remote[lf.Name]
		if !ok {
			out.files = append(out.files, lf)
			out.sizes = append(out.sizes, p.sizes[i])
			continue
		}
		candidates := []RemoteFile{rf}
		if rf.Size != p.sizes[i] || !j.sameAsLocal(ctx, lf, rf, buf) {
			candidates = j.variants(ctx, lf.Name, p.sizes[i])
		}
		found := false
		for _, c := range candidates {
			if c.Size == p.sizes[i] && j.sameAsLocal(ctx, lf, c, buf) {
				skipped++
				j.e.events.push(&AlreadyThereEvent{Job: j.id, At: time.Now(), Path: lf.Path, Name: lf.Name,
					Stored: c.Path, Size: c.Size, SHA256: c.SHA256})
				found = true
				break
			}
		}
		if !found {
			out.files = append(out.files, lf)
			out.sizes = append(out.sizes, p.sizes[i])
		}
	}
	return out, skipped
}

// sameAsLocal reports whether the local file has rf's sha256; the local
// digest is taken once per file.
func (j *job) sameAsLocal(ctx context.Context, lf LocalFile, rf RemoteFile, buf []byte) bool {
	sha, ok := j.digests[lf.Path]
	if !ok {
		var err error
		if sha, err = hashLocal(ctx, lf.Path, buf); err != nil {
			return false // the upload will report what is wrong with it
		}
		j.digests[lf.Path] = sha
	}
	return sha == rf.SHA256
}

// variants lists the user's files stored under numbered variants of name
// ("dir/stem (N).ext") with the given size.
func (j *job) variants(ctx context.Context, name string, size uint64) []RemoteFile {
	dir, base := path.Split(name)
	stem, ext := splitExt(base)
	prefix := dir + stem + " ("
	var out []RemoteFile
	req := wire.List{Prefix: prefix}
	for range maxVariantPages {
		resp, err := j.list(ctx, req)
		if err != nil {
			return out
		}
		for _, f := range resp.Files {
			rest := strings.TrimPrefix(f.Name, prefix)
			if f.Size == size && strings.HasSuffix(rest, ")"+ext) && !strings.Contains(rest, "/") {
				out = append(out, remoteFile(f))
			}
		}
		if resp.Next == "" || resp.Next <= req.After {
			return out
		}
		req.After = resp.Next
	}
	return out
}

// splitExt splits a file name as the server does for numbered variants:
// the extension is from the last dot, unless the dot starts the name or
// the extension is over 32 bytes.
func splitExt(name string) (stem, ext string) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || len(name)-i > 32 {
		return name, ""
	}
	return name[:i], name[i:]
}

// lookup lists the server's files at the paths of files.
func (j *job) lookup(ctx context.Context, files []LocalFile) (map[string]RemoteFile, error) {
	req := wire.List{Paths: make([]string, len(files))}
	for i, f := range files {
		req.Paths[i] = f.Name
	}
	out := make(map[string]RemoteFile, len(files))
	for {
		resp, err := j.list(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, f := range resp.Files {
			out[f.Name] = remoteFile(f)
		}
		if resp.Next == "" || resp.Next <= req.After {
			return out, nil
		}
		req.After = resp.Next
	}
}

// hashLocal is the sha256 of the file at path.
func hashLocal(ctx context.Context, path string, buf []byte) (string, error) {
	size, mt, err := statLocal(path)
	if err != nil {
		return "", err
	}
	return hashFile(ctx, &upFile{path: path, size: size, modTime: mt}, buf)
}

// hashFile is the sha256 of f, read whole; it fails if f changed since it
// was listed.
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

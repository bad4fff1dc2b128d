package server

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
	"golang.org/x/text/unicode/norm"
)

// checkRequest validates an AUTHENTICATION's files, tags and chunk size
// against the limits and returns them as an upload record.
func (srv *Server) checkRequest(a *wire.Authentication) (*store.Upload, *wire.Error) {
	lim := srv.limits
	if len(a.Files) == 0 {
		return nil, wire.Errorf(wire.CodeBadRequest, "an upload needs at least one file")
	}
	if len(a.Files) > lim.MaxFiles {
		return nil, wire.Errorf(wire.CodeTooLarge, "%d files in one upload, limit %d", len(a.Files), lim.MaxFiles)
	}
	files := make([]store.FileInfo, len(a.Files))
	var total uint64
	for i, f := range a.Files {
		// One name, one spelling: "é" composed or decomposed is the same
		// file name (NFC, as macOS and most tools write it).
		f.Name = norm.NFC.String(f.Name)
		if err := store.SafePath(f.Name); err != nil {
			return nil, wire.Errorf(wire.CodeBadRequest, "file %d: %v", i, err)
		}
		if f.Size > uint64(lim.MaxFileSize) {
			return nil, wire.Errorf(wire.CodeTooLarge, "file %d (%s) is %d bytes, limit %d", i, f.Name, f.Size, lim.MaxFileSize)
		}
		if f.Size > 1<<63-1-total {
			return nil, wire.Errorf(wire.CodeTooLarge, "the file sizes add up to more than %d bytes", int64(1<<63-1))
		}
		total += f.Size
		files[i] = store.FileInfo{Name: f.Name, Size: f.Size}
	}
	if lim.Quota > 0 && total > uint64(lim.Quota) {
		return nil, wire.Errorf(wire.CodeQuota, "the upload is %d bytes, more than the quota of %d", total, lim.Quota)
	}
	tags, werr := srv.checkTags(a.Tags)
	if werr != nil {
		return nil, werr
	}
	cs := a.ChunkSize
	switch {
	case cs < 0:
		return nil, wire.Errorf(wire.CodeBadRequest, "chunk-size %d is negative", cs)
	case cs == 0:
		cs = wire.DefaultChunkSize
	}
	cs = min(cs, lim.MaxChunkSize)
	return &store.Upload{Files: files, Tags: tags, ChunkSize: cs}, nil
}

// checkTags validates tags and returns them sorted without duplicates:
// tags are a set, so their order does not matter on resume.
func (srv *Server) checkTags(in []string) ([]string, *wire.Error) {
	lim := srv.limits
	if len(in) > lim.MaxTags {
		return nil, wire.Errorf(wire.CodeBadRequest, "more than %d tags", lim.MaxTags)
	}
	tags := slices.Clone(in)
	for i, t := range tags {
		switch {
		case t == "":
			return nil, wire.Errorf(wire.CodeBadRequest, "tag %d is empty", i)
		case len(t) > lim.MaxTagLength:
			return nil, wire.Errorf(wire.CodeBadRequest, "tag %d is %d bytes, limit %d", i, len(t), lim.MaxTagLength)
		case !utf8.ValidString(t):
			return nil, wire.Errorf(wire.CodeBadRequest, "tag %d is not valid UTF-8", i)
		case strings.ContainsRune(t, ','):
			return nil, wire.Errorf(wire.CodeBadRequest, "tag %q contains a comma", t)
		case strings.IndexFunc(t, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
			return nil, wire.Errorf(wire.CodeBadRequest, "tag %q contains a control or non-printable character", truncate(t, 64))
		}
	}
	slices.Sort(tags)
	return slices.Compact(tags), nil
}

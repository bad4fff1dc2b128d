package s3store

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// Files of more chunks than an object has parts are written in segments:
// segment K holds chunks K*P to (K+1)*P-1 (P the parts per object) as a
// multipart upload of its own, to PREFIX/files/FID/I.seg-K. Once every
// chunk is in, each segment is completed, and the file's object is
// composed from them server-side, UploadPartCopy of byte ranges of at
// most MaxCopyPart each, then the segments are deleted. With P = 10,000
// and chunks of 5 MiB, a file may be about 50 TB.

// MaxCopyPart is the largest part UploadPartCopy may copy.
const MaxCopyPart = 5 << 30

// segmentSuffix precedes a segment's number in its key.
const segmentSuffix = ".seg-"

// segments is the number of segments of file i.
func (s *Store) segments(l *layout, i int) uint64 {
	n := wire.ChunkCount(l.Sizes[i], l.ChunkSize)
	return max((n+s.maxParts-1)/s.maxParts, 1)
}

// segmentOf returns the segment of chunk index of file i and its part
// number there.
func (s *Store) segmentOf(l *layout, i int, index uint64) (seg uint64, number uint64) {
	if s.segments(l, i) == 1 {
		return 0, index + 1
	}
	return index / s.maxParts, index%s.maxParts + 1
}

// segmentChunks is the number of chunks in segment seg of file i.
func (s *Store) segmentChunks(l *layout, i int, seg uint64) uint64 {
	n := wire.ChunkCount(l.Sizes[i], l.ChunkSize)
	if s.segments(l, i) == 1 {
		return n
	}
	return min(n-seg*s.maxParts, s.maxParts)
}

// pieceKey is the key segment seg of file i is written to: the object's
// own for a file of one segment.
func (s *Store) pieceKey(fid uuid.UUID, i int, seg uint64, l *layout) string {
	key := s.ObjectKey(fid, i)
	if s.segments(l, i) == 1 {
		return key
	}
	return fmt.Sprintf("%s%s%d", key, segmentSuffix, seg)
}

// copyRange is one part of a composed object: a byte range of a segment.
type copyRange struct {
	key        string
	start, end uint64 // inclusive end, as in an HTTP range
}

// copyPlan splits the segments of file i into ranges of at most
// MaxCopyPart, equal within a segment so that none is under MinPartSize.
func (s *Store) copyPlan(l *layout, p store.Part, segs uint64) []copyRange {
	var plan []copyRange
	segBytes := s.maxParts * uint64(l.ChunkSize)
	for seg := range segs {
		size := min(segBytes, l.Sizes[p.File]-seg*segBytes)
		pieces := (size + MaxCopyPart - 1) / MaxCopyPart
		step := (size + pieces - 1) / pieces
		for off := uint64(0); off < size; off += step {
			plan = append(plan, copyRange{key: s.pieceKey(p.FID, p.File, seg, l), start: off, end: min(off+step, size) - 1})
		}
	}
	return plan
}

// compose builds the object of p from its completed segments, completes
// it without overwriting, and deletes the segments.
func (s *Store) compose(ctx context.Context, l *layout, p store.Part, segs uint64) error {
	key := s.ObjectKey(p.FID, p.File)
	plan := s.copyPlan(l, p, segs)
	if uint64(len(plan)) > s.maxParts {
		return fmt.Errorf("s3 store: %s needs %d copied parts, more than %d", key, len(plan), s.maxParts)
	}
	id, err := s.uploadID(ctx, l, key, true, false)
	if err != nil {
		return err
	}
	parts := make([]types.CompletedPart, len(plan))
	for n, r := range plan {
		out, err := s.client.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: aws.String(s.bucket), Key: aws.String(key), UploadId: aws.String(id), PartNumber: aws.Int32(int32(n + 1)),
			CopySource:      aws.String(url.PathEscape(s.bucket) + "/" + escapeKey(r.key)),
			CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", r.start, r.end)),
		})
		if err != nil {
			return fmt.Errorf("s3 store: copying %s into %s: %w", r.key, key, err)
		}
		parts[n] = types.CompletedPart{PartNumber: aws.Int32(int32(n + 1)), ETag: out.CopyPartResult.ETag}
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		IfNoneMatch:     aws.String("*"),
	})
	l.forgetID(key)
	if err != nil && !((apiCode(err) == "NoSuchUpload" || isExists(err)) && s.exists(ctx, key)) {
		return fmt.Errorf("s3 store: completing %s: %w", key, err)
	}
	var errs []error
	for seg := range segs {
		errs = append(errs, s.remove(ctx, s.pieceKey(p.FID, p.File, seg, l)))
	}
	return errors.Join(errs...)
}

// escapeKey escapes an object key for a copy source, keeping its slashes.
func escapeKey(key string) string {
	u := url.URL{Path: key}
	return u.EscapedPath()
}

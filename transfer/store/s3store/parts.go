package s3store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// CreatePartials records u's layout and starts one multipart upload per
// incomplete, non-empty file (none is started twice for one file).
func (s *Store) CreatePartials(ctx context.Context, u *store.Upload) error {
	l := &layout{ChunkSize: u.ChunkSize, ids: map[string]string{}}
	for _, f := range u.Files {
		l.Sizes = append(l.Sizes, f.Size)
	}
	rec, err := json.Marshal(l)
	if err != nil {
		return err
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.layoutKey(u.FID)), Body: bytes.NewReader(rec),
	})
	if err != nil {
		return fmt.Errorf("s3 store: recording upload %s: %w", u.FID, err)
	}
	for i, f := range u.Files {
		if (u.Done != nil && u.Done[i] != nil) || f.Size == 0 {
			continue
		}
		for seg := range s.segments(l, i) {
			if _, err := s.uploadID(ctx, l, s.pieceKey(u.FID, i, seg, l), true, true); err != nil {
				return err
			}
		}
	}
	s.mu.Lock()
	s.uploads[u.FID] = l
	s.mu.Unlock()
	return nil
}

// layoutOf returns upload fid's layout, read from the bucket once.
func (s *Store) layoutOf(ctx context.Context, fid uuid.UUID) (*layout, error) {
	s.mu.Lock()
	l := s.uploads[fid]
	s.mu.Unlock()
	if l != nil {
		return l, nil
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.layoutKey(fid))})
	if err != nil {
		return nil, fmt.Errorf("s3 store: reading the layout of upload %s: %w", fid, err)
	}
	defer out.Body.Close()
	l = &layout{ids: map[string]string{}}
	if err := json.NewDecoder(io.LimitReader(out.Body, 1<<20)).Decode(l); err != nil {
		return nil, fmt.Errorf("s3 store: layout of upload %s: %w", fid, err)
	}
	if l.ChunkSize <= 0 {
		return nil, fmt.Errorf("s3 store: layout of upload %s has chunk size %d", fid, l.ChunkSize)
	}
	s.mu.Lock()
	if cur := s.uploads[fid]; cur != nil {
		l = cur
	} else {
		s.uploads[fid] = l
	}
	s.mu.Unlock()
	return l, nil
}

// uploadID returns the id of the multipart upload to key: remembered,
// found in the bucket's list of uploads in progress (the oldest, should
// there be several), or, with create, started. Without create, and none
// in progress, it returns "". A multipart upload started for chunks
// (checksummed) takes each part's CRC32C.
func (s *Store) uploadID(ctx context.Context, l *layout, key string, create, checksummed bool) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id := l.ids[key]; id != "" {
		return id, nil
	}
	out, err := s.client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket), Prefix: aws.String(key)})
	if err != nil {
		return "", fmt.Errorf("s3 store: listing the multipart uploads of %s: %w", key, err)
	}
	var found *types.MultipartUpload
	for i, mu := range out.Uploads {
		if aws.ToString(mu.Key) == key && (found == nil || aws.ToTime(mu.Initiated).Before(aws.ToTime(found.Initiated))) {
			found = &out.Uploads[i]
		}
	}
	if found != nil {
		l.ids[key] = aws.ToString(found.UploadId)
		return l.ids[key], nil
	}
	if !create {
		return "", nil
	}
	in := &s3.CreateMultipartUploadInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}
	if checksummed {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c
	}
	created, err := s.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return "", fmt.Errorf("s3 store: starting the multipart upload of %s: %w", key, err)
	}
	l.ids[key] = aws.ToString(created.UploadId)
	return l.ids[key], nil
}

// forgetID forgets the multipart upload id of key.
func (l *layout) forgetID(key string) {
	l.mu.Lock()
	delete(l.ids, key)
	l.mu.Unlock()
}

// WriteChunk uploads chunk c as one part, with its CRC32C computed here.
func (s *Store) WriteChunk(ctx context.Context, c store.Chunk) error {
	return s.WriteChunkChecked(ctx, c, wire.CRC32C(c.Data))
}

// WriteChunkChecked uploads chunk c as one part with crc as its checksum,
// as the client computed it: the object store checks the bytes against
// it, and a mismatch is store.ErrCorrupt. The part is durable when it
// returns.
func (s *Store) WriteChunkChecked(ctx context.Context, c store.Chunk, crc uint32) error {
	p := c.Part
	l, err := s.layoutOf(ctx, p.FID)
	if err != nil {
		return err
	}
	if p.File < 0 || p.File >= len(l.Sizes) || c.Index >= wire.ChunkCount(l.Sizes[p.File], l.ChunkSize) {
		return fmt.Errorf("s3 store: upload %s has no chunk %d in file %d", p.FID, c.Index, p.File)
	}
	seg, number := s.segmentOf(l, p.File, c.Index)
	key := s.pieceKey(p.FID, p.File, seg, l)
	id, err := s.uploadID(ctx, l, key, true, true)
	if err != nil {
		return err
	}
	_, err = s.client.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key), UploadId: aws.String(id),
		PartNumber:     aws.Int32(int32(number)),
		Body:           bytes.NewReader(c.Data),
		ContentLength:  aws.Int64(int64(len(c.Data))),
		ChecksumCRC32C: aws.String(crcBase64(crc)),
	})
	switch code := apiCode(err); {
	case err == nil:
		return nil
	case code == "BadDigest" || code == "InvalidDigest" || code == "XAmzContentChecksumMismatch":
		return fmt.Errorf("s3 store: chunk %d of %s/%d: %w (%v)", c.Index, p.FID, p.File, store.ErrCorrupt, err)
	case code == "NoSuchUpload":
		l.forgetID(key)
	}
	return fmt.Errorf("s3 store: uploading a part of %s/%d: %w", p.FID, p.File, err)
}

// crcBase64 is a CRC32C as S3 wants it: base64 of its big-endian bytes.
func crcBase64(crc uint32) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc))
}

// Sync does nothing: a part is durable once UploadPart succeeded.
func (s *Store) Sync(ctx context.Context, parts []store.Part) []error {
	return make([]error, len(parts))
}

// assemble completes p's multipart upload (or, for a file of several
// segments, each segment's, then composes them) into its object, without
// overwriting one; an object completed before is left as it is.
func (s *Store) assemble(ctx context.Context, p store.Part) error {
	key := s.ObjectKey(p.FID, p.File)
	l, err := s.layoutOf(ctx, p.FID)
	if err != nil {
		return err
	}
	if p.File < 0 || p.File >= len(l.Sizes) {
		return fmt.Errorf("s3 store: upload %s has no file %d", p.FID, p.File)
	}
	if s.exists(ctx, key) {
		return nil
	}
	size := l.Sizes[p.File]
	if size == 0 {
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.bucket), Key: aws.String(key), Body: bytes.NewReader(nil), IfNoneMatch: aws.String("*"),
		})
		if err != nil && !isExists(err) {
			return fmt.Errorf("s3 store: creating empty object %s: %w", key, err)
		}
		return nil
	}
	segs := s.segments(l, p.File)
	for seg := range segs {
		if err := s.completePiece(ctx, l, p, seg); err != nil {
			return err
		}
	}
	if segs == 1 {
		return nil
	}
	return s.compose(ctx, l, p, segs)
}

// completePiece completes the multipart upload of segment seg of p (of
// the object itself when the file has one segment).
func (s *Store) completePiece(ctx context.Context, l *layout, p store.Part, seg uint64) error {
	key := s.pieceKey(p.FID, p.File, seg, l)
	id, err := s.uploadID(ctx, l, key, false, true)
	if err != nil {
		return err
	}
	if id == "" {
		if s.exists(ctx, key) {
			return nil
		}
		return fmt.Errorf("s3 store: %s has neither a multipart upload nor an object", key)
	}
	parts, err := s.listParts(ctx, key, id)
	if err != nil {
		return err
	}
	if want := s.segmentChunks(l, p.File, seg); uint64(len(parts)) != want {
		return fmt.Errorf("s3 store: %s has %d parts of %d", key, len(parts), want)
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		IfNoneMatch:     aws.String("*"),
	})
	l.forgetID(key)
	if err != nil {
		if (apiCode(err) == "NoSuchUpload" || isExists(err)) && s.exists(ctx, key) {
			return nil // completed by another server meanwhile
		}
		return fmt.Errorf("s3 store: completing %s: %w", key, err)
	}
	return nil
}

// listParts returns every part of a multipart upload, in order.
func (s *Store) listParts(ctx context.Context, key, id string) ([]types.CompletedPart, error) {
	var parts []types.CompletedPart
	pager := s3.NewListPartsPaginator(s.client, &s3.ListPartsInput{Bucket: aws.String(s.bucket), Key: aws.String(key), UploadId: aws.String(id)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3 store: listing the parts of %s: %w", key, err)
		}
		for _, pt := range page.Parts {
			parts = append(parts, types.CompletedPart{PartNumber: pt.PartNumber, ETag: pt.ETag, ChecksumCRC32C: pt.ChecksumCRC32C})
		}
	}
	slices.SortFunc(parts, func(a, b types.CompletedPart) int { return int(aws.ToInt32(a.PartNumber) - aws.ToInt32(b.PartNumber)) })
	return parts, nil
}

// exists reports whether object key exists.
func (s *Store) exists(ctx context.Context, key string) bool {
	_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	return err == nil
}

// isExists reports whether err is a conditional write refused because the
// object exists.
func isExists(err error) bool {
	code := apiCode(err)
	return code == "PreconditionFailed" || code == "ConditionalRequestConflict"
}

// ReadPartial returns part p's bytes from offset off to its end. The
// parts of a multipart upload cannot be read, so the file is completed
// into its object first (only a complete file is ever read back).
func (s *Store) ReadPartial(ctx context.Context, p store.Part, off int64) (io.ReadCloser, error) {
	if err := s.assemble(ctx, p); err != nil {
		return nil, err
	}
	return s.Open(ctx, p.FID, p.File, off)
}

// Open returns the bytes of the object of file index of upload fid from
// offset off.
func (s *Store) Open(ctx context.Context, fid uuid.UUID, index int, off int64) (io.ReadCloser, error) {
	key := s.ObjectKey(fid, index)
	in := &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}
	if off > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", off))
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		if apiCode(err) == "InvalidRange" {
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
		return nil, fmt.Errorf("s3 store: reading %s: %w", key, err)
	}
	return out.Body, nil
}

// RemovePartial aborts what is left of p's multipart uploads once its
// file is recorded complete; the object, which is the file, stays.
func (s *Store) RemovePartial(ctx context.Context, p store.Part) error {
	key := s.ObjectKey(p.FID, p.File)
	return s.abort(ctx, key, func(k string) bool { return k == key || strings.HasPrefix(k, key+segmentSuffix) })
}

// RemovePartials aborts every multipart upload of upload fid and deletes
// its segments and layout record. Objects already completed stay: they
// may be files recorded complete.
func (s *Store) RemovePartials(ctx context.Context, fid uuid.UUID) error {
	s.mu.Lock()
	delete(s.uploads, fid)
	s.mu.Unlock()
	prefix := s.prefix + "files/" + fid.String() + "/"
	errs := []error{s.abort(ctx, prefix, func(string) bool { return true })}
	pager := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("s3 store: listing %s: %w", prefix, err))
			break
		}
		for _, o := range page.Contents {
			if strings.Contains(aws.ToString(o.Key), segmentSuffix) {
				errs = append(errs, s.remove(ctx, aws.ToString(o.Key)))
			}
		}
	}
	errs = append(errs, s.remove(ctx, s.layoutKey(fid)))
	return errors.Join(errs...)
}

// remove deletes object key; a missing object is no error.
func (s *Store) remove(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil && apiCode(err) != "NoSuchKey" {
		return fmt.Errorf("s3 store: deleting %s: %w", key, err)
	}
	return nil
}

// abort aborts the multipart uploads of keys starting with prefix that
// match, however many pages their listing takes: an upload of many files
// has more multipart uploads than one answer lists. Pages are followed by
// key only (versitygw refuses upload-id markers), so a key's further
// uploads past a page's end could be skipped: passes repeat until one
// finds nothing left to abort.
func (s *Store) abort(ctx context.Context, prefix string, match func(key string) bool) error {
	const passes = 3
	for range passes {
		found, err := s.listMultipart(ctx, prefix, match)
		if err != nil || len(found) == 0 {
			return err
		}
		var errs []error
		for _, mu := range found {
			_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(s.bucket), Key: mu.Key, UploadId: mu.UploadId})
			if err != nil && apiCode(err) != "NoSuchUpload" {
				errs = append(errs, fmt.Errorf("s3 store: aborting the multipart upload of %s: %w", aws.ToString(mu.Key), err))
			}
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
	return nil
}

// listMultipart lists the multipart uploads of keys starting with prefix
// that match, every page.
func (s *Store) listMultipart(ctx context.Context, prefix string, match func(key string) bool) ([]types.MultipartUpload, error) {
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)}
	if s.listPage > 0 {
		in.MaxUploads = aws.Int32(s.listPage)
	}
	var found []types.MultipartUpload
	for {
		out, err := s.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("s3 store: listing multipart uploads under %s: %w", prefix, err)
		}
		for _, mu := range out.Uploads {
			if match(aws.ToString(mu.Key)) {
				found = append(found, mu)
			}
		}
		if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextKeyMarker) == "" {
			return found, nil
		}
		in.KeyMarker = out.NextKeyMarker
	}
}

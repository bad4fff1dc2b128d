// Package s3store keeps the bytes of a hoist server's uploads in an
// S3-compatible object store. It implements the server's ChunkStore and
// FilePublisher roles; the metadata lives elsewhere (transfer/store/pgmeta),
// which also reserves the names files are published under.
//
// Each file of an upload is one multipart upload to the object
// PREFIX/files/FID/I, and each chunk is one part of it: part number
// index+1, uploaded with the chunk's CRC32C as its checksum, so that the
// store verifies the bytes and a chunk is durable as soon as WriteChunk
// returns (Sync does nothing). Publishing completes the multipart upload
// with If-None-Match: "*", so an object is never overwritten, and
// records the file's name through the NameReserver: names are metadata,
// object keys never change. PREFIX/partial/FID holds an upload's chunk
// size and file sizes, so that any server sharing the bucket can continue
// it.
//
// Object stores bound parts: at least 5 MiB except the last, at most
// 10,000 per object. ChunkLimits tells the server, which grants chunk
// sizes within them; files of more than 10,000 chunks are written in
// segments and composed server-side (segments.go).
package s3store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/store"
)

// Limits of S3 multipart uploads.
const (
	// MinPartSize is the smallest part but the last.
	MinPartSize = 5 << 20
	// MaxParts is the most parts of one object.
	MaxParts = 10_000
)

// NameReserver gives files names (stored paths) in their owner's area,
// never two files one name; *pgmeta.Store implements it.
type NameReserver interface {
	// ReserveName gives file index of upload fid name or a free variant
	// of it, and returns the name given; the same again for the same file.
	ReserveName(ctx context.Context, fid uuid.UUID, index int, owner, name string) (string, error)
	// NameOwner returns the file name was given to, or
	// store.ErrFileNotFound.
	NameOwner(ctx context.Context, owner, name string) (uuid.UUID, int, error)
	// ReleaseName frees name.
	ReleaseName(ctx context.Context, owner, name string) error
}

// Options configure New.
type Options struct {
	// Bucket and Prefix say where objects go: PREFIX/files/..., with
	// Prefix empty or ending without a slash.
	Bucket string
	Prefix string
	// Endpoint, when set, is the store's URL (for an S3-compatible store
	// other than AWS); PathStyle addresses buckets as ENDPOINT/BUCKET
	// instead of BUCKET.ENDPOINT.
	Endpoint  string
	PathStyle bool
	// Region is the signing region; empty takes the SDK's default chain
	// (AWS_REGION, the shared config), else us-east-1.
	Region string
	// Names reserves the names of published files; required for Publish.
	Names NameReserver
	// MaxParts lowers the parts per object (tests); 0 means MaxParts.
	MaxParts uint64
	// ListPage lowers the entries asked for per page of a listing (tests);
	// 0 takes the service's default, 1,000.
	ListPage int32
	// Calls, if set, is told of every S3 call, named as in Operations,
	// with its duration (retries included) and error.
	Calls store.CallObserver
}

// Store is the object-store backend. It is safe for concurrent use, also
// by several servers sharing one bucket.
type Store struct {
	client   *s3.Client
	bucket   string
	prefix   string
	names    NameReserver
	maxParts uint64
	listPage int32 // 0: the service's default

	mu      sync.Mutex
	uploads map[uuid.UUID]*layout
}

// layout is what the store needs to know of an upload: its chunk size,
// file sizes and the ids of its files' multipart uploads, looked up once.
type layout struct {
	ChunkSize int      `json:"chunk_size"`
	Sizes     []uint64 `json:"sizes"`

	mu  sync.Mutex
	ids map[string]string // multipart upload ids by key
}

// New returns a store for the bucket opts names, with credentials from
// the SDK's default chain (environment, shared files, instance roles).
// It checks that the bucket can be reached.
func New(ctx context.Context, opts Options) (*Store, error) {
	if opts.Bucket == "" {
		return nil, errors.New("s3 store: no bucket given (--store s3://BUCKET/PREFIX)")
	}
	var loadOpts []func(*config.LoadOptions) error
	if opts.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(opts.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("s3 store: loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.UsePathStyle = opts.PathStyle
		// Every part carries its CRC32C, set by the store; nothing else
		// needs a checksum the SDK would compute on its own.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		if opts.Calls != nil {
			o.APIOptions = append(o.APIOptions, callTimer(opts.Calls))
		}
	})
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(opts.Bucket)}); err != nil {
		return nil, fmt.Errorf("s3 store: bucket %s cannot be reached (check the endpoint, credentials and that the bucket exists): %w", opts.Bucket, err)
	}
	maxParts := opts.MaxParts
	if maxParts == 0 || maxParts > MaxParts {
		maxParts = MaxParts
	}
	prefix := strings.Trim(opts.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &Store{
		client: client, bucket: opts.Bucket, prefix: prefix, names: opts.Names, maxParts: maxParts, listPage: opts.ListPage,
		uploads: map[uuid.UUID]*layout{},
	}, nil
}

// Client is the S3 client the store uses.
func (s *Store) Client() *s3.Client { return s.client }

// Bucket is the bucket the store writes to.
func (s *Store) Bucket() string { return s.bucket }

// ChunkLimits is the smallest chunk the store accepts but a file's last,
// and the most chunks one file may have: as many segments as an object
// has parts, each of as many chunks (see segments.go).
func (s *Store) ChunkLimits() (minChunk int, maxChunks uint64) {
	return MinPartSize, s.maxParts * s.maxParts
}

// ObjectKey is the key of file index of upload fid, complete or not.
func (s *Store) ObjectKey(fid uuid.UUID, index int) string {
	return s.prefix + "files/" + fid.String() + "/" + strconv.Itoa(index)
}

// layoutKey is the key of an upload's layout record.
func (s *Store) layoutKey(fid uuid.UUID) string { return s.prefix + "partial/" + fid.String() }

// PrepareUserArea checks that owner can name a user; the object store has
// no per-user area to prepare.
func (s *Store) PrepareUserArea(ctx context.Context, owner string) error {
	if err := store.SafeName(owner); err != nil {
		return fmt.Errorf("user id: %w", err)
	}
	return nil
}

// Publish completes file index of upload fid (if it is not yet) without
// overwriting any object, then reserves its name in owner's area and
// returns the name; publishing again returns the same name.
func (s *Store) Publish(ctx context.Context, fid uuid.UUID, index int, owner, name string) (string, error) {
	if s.names == nil {
		return "", errors.New("s3 store: no name reserver configured")
	}
	if err := s.assemble(ctx, store.Part{FID: fid, File: index}); err != nil {
		return "", err
	}
	return s.names.ReserveName(ctx, fid, index, owner, name)
}

// Unpublish deletes the object of owner's file stored, then frees the
// name; a file already gone is no error.
func (s *Store) Unpublish(ctx context.Context, owner, stored string) error {
	if s.names == nil {
		return errors.New("s3 store: no name reserver configured")
	}
	fid, index, err := s.names.NameOwner(ctx, owner, stored)
	if errors.Is(err, store.ErrFileNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.remove(ctx, s.ObjectKey(fid, index)); err != nil {
		return err
	}
	return s.names.ReleaseName(ctx, owner, stored)
}

// SyncPublished does nothing: completed objects and reserved names are
// durable when Publish returns.
func (s *Store) SyncPublished(ctx context.Context, owner string) error { return nil }

// apiCode returns the S3 error code of err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Ping checks that the bucket can be reached.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)}); err != nil {
		return fmt.Errorf("s3 store: bucket %s: %w", s.bucket, err)
	}
	return nil
}

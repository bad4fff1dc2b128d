package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/internal/metrics"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/store/pgmeta"
	"github.com/hoist-dev/hoist/transfer/store/s3store"
)

// clusterOpenTimeout bounds connecting to the database and the object
// store at start.
const clusterOpenTimeout = 30 * time.Second

// openClusterStorage opens the storage of a server that shares its state
// with others: metadata in PostgreSQL (--meta), bytes in an S3-compatible
// object store (--store). The closer closes both. With m (--metrics-listen)
// both report their calls' latency and errors to it.
func openClusterStorage(ctx context.Context, cfg config.Server, m *metrics.Metrics) (server.Storage, io.Closer, error) {
	if cfg.Store.URL == "" || cfg.Meta.URL == "" {
		return server.Storage{}, nil, errors.New("--store s3://BUCKET/PREFIX and --meta postgres://USER@HOST/DB go together: give both, or neither to keep everything in the data directory")
	}
	bucket, prefix, err := parseS3URL(cfg.Store.URL)
	if err != nil {
		return server.Storage{}, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, clusterOpenTimeout)
	defer cancel()
	var metaOpts []pgmeta.Option
	var objectCalls store.CallObserver
	if m != nil {
		metaOpts = append(metaOpts, pgmeta.WithCalls(m.MetadataCalls()))
		objectCalls = m.ObjectStoreCalls()
	}
	meta, err := pgmeta.Open(ctx, cfg.Meta.URL, metaOpts...)
	if err != nil {
		return server.Storage{}, nil, err
	}
	objects, err := s3store.New(ctx, s3store.Options{
		Bucket: bucket, Prefix: prefix, Endpoint: cfg.Store.S3Endpoint, PathStyle: cfg.Store.S3PathStyle, Names: meta,
		Calls: objectCalls,
	})
	if err != nil {
		meta.Close()
		return server.Storage{}, nil, err
	}
	return server.Storage{Uploads: meta, Chunks: objects, Publisher: objects, Records: meta}, meta, nil
}

// parseS3URL splits s3://BUCKET/PREFIX.
func parseS3URL(s string) (bucket, prefix string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return "", "", fmt.Errorf("--store %q: want s3://BUCKET or s3://BUCKET/PREFIX", s)
	}
	return u.Host, strings.Trim(u.Path, "/"), nil
}

// listClusterFiles lists the completed files q selects from the metadata
// database at url.
func listClusterFiles(ctx context.Context, url string, q store.Query, asJSON bool, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, clusterOpenTimeout)
	defer cancel()
	meta, err := pgmeta.Open(ctx, url)
	if err != nil {
		return err
	}
	defer meta.Close()
	files, err := meta.Files(ctx, q)
	if err != nil {
		return fmt.Errorf("listing files: %w", err)
	}
	return printFiles(files, asJSON, stdout, stderr)
}

package pgmeta

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/jackc/pgx/v5"
)

// ListFiles returns one page of q.Owner's completed files in byte order of
// their stored paths, from the cursor q.After on; the database reads only
// what the page needs (index on owner and stored path).
func (s *Store) ListFiles(ctx context.Context, q store.ListQuery) (_ *store.Page, err error) {
	defer s.observe("list_files", time.Now(), &err)
	if q.Owner == "" || q.Limit <= 0 {
		return nil, errors.New("listing files: owner and limit are required")
	}
	paths := slices.Clone(q.Paths)
	slices.Sort(paths)
	paths = slices.Compact(paths)
	files, err := s.queryFiles(ctx, s.pool, `WHERE owner = $1 AND NOT removed
		AND stored COLLATE "C" > $2 COLLATE "C"
		AND left(stored, length($3)) = $3
		AND ($4::text[] IS NULL OR stored = ANY($4))
		AND tags @> $5::text[]
		ORDER BY stored COLLATE "C" LIMIT $6`,
		q.Owner, q.After, q.Prefix, nilIfEmpty(paths), nonNil(q.Tags), q.Limit+1)
	if err != nil {
		return nil, fmt.Errorf("listing files: %w", err)
	}
	page := &store.Page{Files: files}
	if len(files) > q.Limit {
		page.Files = files[:q.Limit]
		page.Next = files[q.Limit-1].Stored
	}
	return page, nil
}

// nilIfEmpty is nil for an empty list (no path filter).
func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// RemoveFiles drops the records of owner's files at the stored paths and
// releases their bytes from owner's usage, all or none: store.
// ErrFileNotFound (wrapped, naming the path) if one is not owner's file.
// A record whose upload is still known stays as a tombstone. The names
// stay reserved until Unpublish deletes the bytes. It returns the removed
// records in the order of paths.
func (s *Store) RemoveFiles(ctx context.Context, owner string, paths []string) (_ []*store.File, err error) {
	defer s.observe("remove_files", time.Now(), &err)
	var out []*store.File
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		out = out[:0]
		seen := map[string]bool{}
		for _, p := range paths {
			if seen[p] {
				continue
			}
			seen[p] = true
			fs, err := s.queryFiles(ctx, tx, `WHERE owner = $1 AND stored = $2 AND NOT removed FOR UPDATE`, owner, p)
			if err != nil {
				return err
			}
			if len(fs) == 0 {
				return fmt.Errorf("%w: %s", store.ErrFileNotFound, p)
			}
			out = append(out, fs[0])
		}
		for _, f := range out {
			if _, err := tx.Exec(ctx, `UPDATE usage SET completed = greatest(completed - $2, 0) WHERE owner = $1`, owner, int64(f.Size)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM files WHERE fid = $1 AND file = $2 AND NOT EXISTS (SELECT 1 FROM uploads WHERE fid = $1)`,
				f.FID, f.Index); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE files SET removed = true WHERE fid = $1 AND file = $2`, f.FID, f.Index); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReleaseName frees owner's name stored once the file's bytes are gone;
// a name not reserved is no error.
func (s *Store) ReleaseName(ctx context.Context, owner, stored string) (err error) {
	defer s.observe("release_name", time.Now(), &err)
	_, err = s.pool.Exec(ctx, `DELETE FROM names WHERE owner = $1 AND name = $2`, owner, stored)
	return err
}

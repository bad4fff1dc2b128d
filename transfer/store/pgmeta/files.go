package pgmeta

import (
	"context"
	"errors"
	"time"

	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/jackc/pgx/v5"
)

// CompleteFiles records files as complete in one transaction: the file
// records, the usage of their owners (reserved bytes become completed),
// their names, and drops their held chunks. Recording a file twice is a
// no-op.
func (s *Store) CompleteFiles(ctx context.Context, files []*store.File) (err error) {
	defer s.observe("complete_files", time.Now(), &err)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, f := range files {
			// Lock the upload so that DeleteUpload, which releases the
			// reservation of incomplete files, sees this one complete or
			// not at all.
			if _, err := tx.Exec(ctx, `SELECT 1 FROM uploads WHERE fid = $1 FOR UPDATE`, f.FID); err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `INSERT INTO files (fid, file, owner, name, stored, size, sha256, tags, completed)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
				f.FID, f.Index, f.Owner, f.Name, f.Stored, int64(f.Size), f.SHA256, nonNil(f.Tags), f.Completed)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO names (owner, name, fid, file) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
				f.Owner, f.Stored, f.FID, f.Index); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO usage (owner, completed) VALUES ($1, $2)
				ON CONFLICT (owner) DO UPDATE SET completed = usage.completed + $2, reserved = greatest(usage.reserved - $2, 0)`,
				f.Owner, int64(f.Size)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM held_chunks WHERE fid = $1 AND file = $2`, f.FID, f.Index); err != nil {
				return err
			}
		}
		return nil
	})
}

// Files lists the completed files q selects, oldest first.
func (s *Store) Files(ctx context.Context, q store.Query) (_ []*store.File, err error) {
	defer s.observe("query_files", time.Now(), &err)
	return s.queryFiles(ctx, s.pool, `WHERE NOT removed AND ($1 = '' OR owner = $1) AND ($2 = '' OR $2 = ANY(tags))
		ORDER BY completed, owner, stored`, q.User, q.Tag)
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// queryFiles returns the files rows selected by where (with its
// arguments).
func (s *Store) queryFiles(ctx context.Context, q querier, where string, args ...any) ([]*store.File, error) {
	rows, err := q.Query(ctx, `SELECT fid, file, owner, name, stored, size, sha256, tags, completed, removed FROM files `+where, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.File, error) {
		var f store.File
		var size int64
		err := r.Scan(&f.FID, &f.Index, &f.Owner, &f.Name, &f.Stored, &size, &f.SHA256, &f.Tags, &f.Completed, &f.Removed)
		f.Size, f.Completed = uint64(size), f.Completed.UTC()
		return &f, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return out, err
}

package pgmeta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
	"github.com/jackc/pgx/v5"
)

// CreateUpload records u and reserves its bytes against u.Owner's usage in
// one transaction. The usage row is updated only if the quota admits the
// upload, which locks it: a second server checking the same user waits
// for this transaction and then sees its reservation.
func (s *Store) CreateUpload(ctx context.Context, u *store.Upload, quota int64) (err error) {
	defer s.observe("create_upload", time.Now(), &err)
	files, err := json.Marshal(u.Files)
	if err != nil {
		return err
	}
	total := int64(u.TotalSize())
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO usage (owner) VALUES ($1) ON CONFLICT DO NOTHING`, u.Owner); err != nil {
			return err
		}
		var completed, reserved int64
		err := tx.QueryRow(ctx, `UPDATE usage SET reserved = reserved + $2::bigint
			WHERE owner = $1 AND ($3::bigint <= 0 OR ($2::bigint <= $3::bigint AND completed + reserved <= $3::bigint - $2::bigint))
			RETURNING completed, reserved`, u.Owner, total, quota).Scan(&completed, &reserved)
		if errors.Is(err, pgx.ErrNoRows) {
			if err := tx.QueryRow(ctx, `SELECT completed, reserved FROM usage WHERE owner = $1`, u.Owner).Scan(&completed, &reserved); err != nil {
				return err
			}
			return fmt.Errorf("%w: upload of %d bytes; %d stored and %d in unfinished uploads of a quota of %d",
				store.ErrQuota, total, completed, reserved, quota)
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO uploads (fid, owner, files, tags, chunk_size, created, touched)
			VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING`,
			u.FID, u.Owner, files, nonNil(u.Tags), u.ChunkSize, u.Created)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrExists
		}
		return nil
	})
}

// LoadUpload returns upload fid with its held chunks and completed files,
// or store.ErrNotFound.
func (s *Store) LoadUpload(ctx context.Context, fid uuid.UUID) (_ *store.Upload, err error) {
	defer s.observe("load_upload", time.Now(), &err)
	u := &store.Upload{FID: fid}
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		var files []byte
		err := tx.QueryRow(ctx, `SELECT owner, files, tags, chunk_size, created, touched FROM uploads WHERE fid = $1`, fid).
			Scan(&u.Owner, &files, &u.Tags, &u.ChunkSize, &u.Created, &u.Touched)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(files, &u.Files); err != nil {
			return fmt.Errorf("upload %s: corrupt record: %w", fid, err)
		}
		done, err := s.queryFiles(ctx, tx, `WHERE fid = $1`, fid)
		if err != nil {
			return err
		}
		u.Done = make([]*store.File, len(u.Files))
		for _, f := range done {
			if f.Index >= 0 && f.Index < len(u.Files) {
				u.Done[f.Index] = f
			}
		}
		u.Held = make([]store.Bitset, len(u.Files))
		chunks := make([]uint64, len(u.Files))
		for i, f := range u.Files {
			if u.Done[i] == nil {
				chunks[i] = wire.ChunkCount(f.Size, u.ChunkSize)
				u.Held[i] = store.NewBitset(chunks[i])
			}
		}
		rows, err := tx.Query(ctx, `SELECT file, idx FROM held_chunks WHERE fid = $1`, fid)
		if err != nil {
			return err
		}
		var file int
		var idx int64
		_, err = pgx.ForEachRow(rows, []any{&file, &idx}, func() error {
			if file >= 0 && file < len(u.Held) && u.Held[file] != nil && idx >= 0 && uint64(idx) < chunks[file] {
				u.Held[file].Set(uint64(idx))
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	u.Created, u.Touched = u.Created.UTC(), u.Touched.UTC()
	return u, nil
}

// MarkHeld records marks in one transaction and sets their uploads'
// touched time to now. Marks of uploads deleted meanwhile are dropped.
func (s *Store) MarkHeld(ctx context.Context, marks []store.Mark, now time.Time) (err error) {
	defer s.observe("mark_held", time.Now(), &err)
	fids := make([]uuid.UUID, len(marks))
	files := make([]int32, len(marks))
	idxs := make([]int64, len(marks))
	for i, m := range marks {
		fids[i], files[i], idxs[i] = m.FID, int32(m.File), int64(m.Index)
	}
	touched := slices.Compact(slices.SortedFunc(slices.Values(fids), func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) }))
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Lock the uploads first, in one order, so that a concurrent
		// DeleteUpload either runs before (and the marks are dropped) or
		// after (and deletes them).
		if _, err := tx.Exec(ctx, `UPDATE uploads SET touched = $2 WHERE fid = ANY($1)`, touched, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO held_chunks (fid, file, idx)
			SELECT m.fid, m.file, m.idx FROM unnest($1::uuid[], $2::integer[], $3::bigint[]) AS m(fid, file, idx)
			WHERE EXISTS (SELECT 1 FROM uploads u WHERE u.fid = m.fid)
			ON CONFLICT DO NOTHING`, fids, files, idxs)
		return err
	})
}

// DeleteUpload forgets upload fid, its held chunks and the tombstones of
// its removed files, and releases the reservation of its incomplete
// files; completed files stay recorded.
func (s *Store) DeleteUpload(ctx context.Context, fid uuid.UUID) (err error) {
	defer s.observe("delete_upload", time.Now(), &err)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var owner string
		var filesJSON []byte
		err := tx.QueryRow(ctx, `SELECT owner, files FROM uploads WHERE fid = $1 FOR UPDATE`, fid).Scan(&owner, &filesJSON)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		var files []store.FileInfo
		if err := json.Unmarshal(filesJSON, &files); err != nil {
			return fmt.Errorf("upload %s: corrupt record: %w", fid, err)
		}
		rows, err := tx.Query(ctx, `SELECT file FROM files WHERE fid = $1`, fid)
		if err != nil {
			return err
		}
		done, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return err
		}
		var pending int64
		for i, f := range files {
			if !slices.Contains(done, int32(i)) {
				pending += int64(f.Size)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE usage SET reserved = greatest(reserved - $2, 0) WHERE owner = $1`, owner, pending); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM held_chunks WHERE fid = $1`, fid); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM files WHERE fid = $1 AND removed`, fid); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM uploads WHERE fid = $1`, fid)
		return err
	})
}

// Untouched lists the uploads not touched since before.
func (s *Store) Untouched(ctx context.Context, before time.Time) (_ []uuid.UUID, err error) {
	defer s.observe("untouched_uploads", time.Now(), &err)
	rows, err := s.pool.Query(ctx, `SELECT fid FROM uploads WHERE touched < $1 ORDER BY touched`, before)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// nonNil returns tags, or an empty list for nil (the column is NOT NULL).
func nonNil(tags []string) []string {
	if tags == nil {
		return []string{}
	}
	return tags
}

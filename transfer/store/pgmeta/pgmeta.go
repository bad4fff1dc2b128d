// Package pgmeta keeps a hoist server's metadata in PostgreSQL, so that
// several servers can share it: unfinished uploads and the chunks they
// hold, completed files and their tags, the names given out in each
// user's area, and per-user usage for quotas. It implements the server's
// UploadStore and FileRecords roles, and reserves names for a publisher
// that keeps the bytes elsewhere (transfer/store/s3store).
//
// Every change runs in a transaction. Quota checks lock the user's usage
// row, so two servers cannot both admit uploads that together exceed a
// quota; names are unique by constraint. The schema is created and
// upgraded by embedded migrations when Open runs (table
// schema_migrations), under an advisory lock.
package pgmeta

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is the PostgreSQL metadata store. It is safe for concurrent use,
// also by several processes sharing one database.
type Store struct {
	pool   *pgxpool.Pool
	claims *claims
	calls  store.CallObserver
}

// Open connects to the database url names (postgres://USER@HOST/DB, any
// form pgx accepts), applies the migrations it lacks, and returns the
// store. Close it when done.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("metadata database URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("metadata database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("metadata database %s: cannot connect (is PostgreSQL running and the URL right?): %w", cfg.ConnConfig.Host, err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("metadata database: %w", err)
	}
	s := &Store{pool: pool}
	for _, o := range opts {
		o(s)
	}
	if err := s.startClaims(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("metadata database: %w", err)
	}
	return s, nil
}

// Close closes the connections, which releases this server's claims.
func (s *Store) Close() error {
	s.closeClaims()
	s.pool.Close()
	return nil
}

// ReserveName gives file index of upload fid a name in owner's area: name
// if free, else the next free variant (store.CandidateName), by inserting
// it under the names table's unique constraint, which settles races
// between servers. Reserving again for the same file returns the name it
// got. store.ErrNoFreeName when every variant is taken.
func (s *Store) ReserveName(ctx context.Context, fid uuid.UUID, index int, owner, name string) (_ string, err error) {
	defer s.observe("reserve_name", time.Now(), &err)
	if err := store.SafePath(name); err != nil {
		return "", fmt.Errorf("file path: %w", err)
	}
	for n := 1; n <= store.NameCandidates; n++ {
		if got, err := s.nameOf(ctx, fid, index); err == nil {
			return got, nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return "", err
		}
		cand := store.CandidateName(name, n, fid, index)
		tag, err := s.pool.Exec(ctx, `INSERT INTO names (owner, name, fid, file) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			owner, cand, fid, index)
		if err != nil {
			return "", fmt.Errorf("reserving name %s for user %s: %w", cand, owner, err)
		}
		if tag.RowsAffected() == 1 {
			return cand, nil
		}
	}
	if got, err := s.nameOf(ctx, fid, index); err == nil {
		return got, nil
	}
	return "", fmt.Errorf("publishing %s for user %s: %w", name, owner, store.ErrNoFreeName)
}

// nameOf returns the name reserved for a file, or pgx.ErrNoRows.
func (s *Store) nameOf(ctx context.Context, fid uuid.UUID, index int) (string, error) {
	var name string
	err := s.pool.QueryRow(ctx, `SELECT name FROM names WHERE fid = $1 AND file = $2`, fid, index).Scan(&name)
	return name, err
}

// Usage returns the bytes owner has in completed files and reserved by
// unfinished uploads.
func (s *Store) Usage(ctx context.Context, owner string) (completed, reserved int64, err error) {
	defer s.observe("usage", time.Now(), &err)
	err = s.pool.QueryRow(ctx, `SELECT completed, reserved FROM usage WHERE owner = $1`, owner).Scan(&completed, &reserved)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, nil
	}
	return completed, reserved, err
}

// NameOwner returns the file that name in owner's area was given to, or
// store.ErrFileNotFound.
func (s *Store) NameOwner(ctx context.Context, owner, name string) (fid uuid.UUID, index int, err error) {
	defer s.observe("name_owner", time.Now(), &err)
	err = s.pool.QueryRow(ctx, `SELECT fid, file FROM names WHERE owner = $1 AND name = $2`, owner, name).Scan(&fid, &index)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("%w: %s", store.ErrFileNotFound, name)
	}
	return fid, index, err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) (err error) {
	defer s.observe("ping", time.Now(), &err)
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("metadata database: %w", err)
	}
	return nil
}

// TotalUsage returns, summed over all users, the bytes of completed files
// and those reserved by unfinished uploads.
func (s *Store) TotalUsage(ctx context.Context) (completed, reserved int64, err error) {
	defer s.observe("total_usage", time.Now(), &err)
	err = s.pool.QueryRow(ctx, `SELECT coalesce(sum(completed), 0)::bigint, coalesce(sum(reserved), 0)::bigint FROM usage`).Scan(&completed, &reserved)
	return completed, reserved, err
}

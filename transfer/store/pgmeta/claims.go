package pgmeta

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Claims let servers sharing the database hand uploads over: the server
// that serves an upload holds a PostgreSQL advisory lock on it, on a
// connection of its own, so the lock goes when the server dies. A server
// that wants the upload announces it (NOTIFY), and the holder stops its
// session, lets its chunks commit and releases the lock; the new server
// then reads the upload's state, exact.
type claims struct {
	id  string // this server's name in notifications
	cfg *pgx.ConnConfig

	mu      sync.Mutex // guards lock, count, lost; serializes lock's use
	lock    *pgx.Conn
	count   map[uuid.UUID]int
	lost    map[uuid.UUID]func()
	stop    context.CancelFunc
	stopped chan struct{}
}

// claimChannel is the notification channel of claims.
const claimChannel = "hoist_claims"

// claimPoll is how often a claim waiting for another server tries again.
const claimPoll = 25 * time.Millisecond

// lockKey is the advisory lock key of upload fid.
func lockKey(fid uuid.UUID) int64 { return int64(binary.BigEndian.Uint64(fid[:8])) }

// startClaims opens the lock connection and starts the listener.
func (s *Store) startClaims(ctx context.Context) error {
	cfg := s.pool.Config().ConnConfig
	lock, err := pgx.ConnectConfig(ctx, cfg.Copy())
	if err != nil {
		return err
	}
	listen, err := listenClaims(ctx, cfg)
	if err != nil {
		lock.Close(ctx)
		return err
	}
	lctx, stop := context.WithCancel(context.Background())
	c := &claims{
		id: uuid.NewString(), cfg: cfg, lock: lock, count: map[uuid.UUID]int{}, lost: map[uuid.UUID]func(){},
		stop: stop, stopped: make(chan struct{}),
	}
	go func() {
		defer close(c.stopped)
		c.listen(lctx, listen)
	}()
	s.claims = c
	return nil
}

// listenClaims opens a connection listening for claims.
func listenClaims(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+claimChannel); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	return conn, nil
}

// listen tells the holders of uploads other servers claim, until ctx
// ends; a broken connection is reopened (claims announced meanwhile are
// missed: their servers time out and their clients try again).
func (c *claims) listen(ctx context.Context, conn *pgx.Conn) {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			conn.Close(context.Background())
			for conn = nil; conn == nil; {
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
				conn, _ = listenClaims(ctx, c.cfg)
			}
			continue
		}
		fid, from, ok := strings.Cut(n.Payload, " ")
		id, perr := uuid.Parse(fid)
		if !ok || perr != nil || from == c.id {
			continue
		}
		c.mu.Lock()
		f := c.lost[id]
		c.mu.Unlock()
		if f != nil {
			f()
		}
	}
}

// reviveLocked reopens a broken lock connection. The claims it held went
// with it: their holders are told they lost them. Call with c.mu held.
func (c *claims) reviveLocked(ctx context.Context) error {
	if !c.lock.IsClosed() {
		return nil
	}
	lock, err := pgx.ConnectConfig(ctx, c.cfg.Copy())
	if err != nil {
		return err
	}
	c.lock = lock
	for _, f := range c.lost {
		f()
	}
	clear(c.count)
	clear(c.lost)
	return nil
}

// closeClaims stops the listener and closes the lock connection, which
// releases every claim.
func (s *Store) closeClaims() {
	c := s.claims
	if c == nil {
		return
	}
	c.stop()
	<-c.stopped
	c.mu.Lock()
	c.lock.Close(context.Background())
	c.mu.Unlock()
}

// ErrClaimed: another server serves the upload and did not hand it over
// in time.
var ErrClaimed = errors.New("another server is serving this upload")

// ClaimUpload makes this server the one serving upload fid. If another
// server holds it, that server is told and ClaimUpload waits, until ctx
// ends, for it to let go (at once if it died). lost is called when
// another server claims the upload later (or the claim went with a
// broken connection); the caller then stops using it and calls
// ReleaseUpload. lost must not block or call into the store. Claims are counted: each ClaimUpload needs
// one ReleaseUpload.
func (s *Store) ClaimUpload(ctx context.Context, fid uuid.UUID, lost func()) (err error) {
	defer s.observe("claim_upload", time.Now(), &err)
	c := s.claims
	c.mu.Lock()
	if c.count[fid] > 0 {
		c.count[fid]++
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	if _, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", claimChannel, fid.String()+" "+c.id); err != nil {
		return fmt.Errorf("claiming upload %s: %w", fid, err)
	}
	for {
		c.mu.Lock()
		if c.count[fid] > 0 { // claimed meanwhile by another session here
			c.count[fid]++
			c.mu.Unlock()
			return nil
		}
		var got bool
		try := func() error {
			return c.lock.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", lockKey(fid)).Scan(&got)
		}
		err := c.reviveLocked(ctx)
		if err == nil {
			err = try()
		}
		if err != nil && c.lock.IsClosed() { // it broke just now: once more
			if err = c.reviveLocked(ctx); err == nil {
				err = try()
			}
		}
		if err == nil && got {
			c.count[fid] = 1
			c.lost[fid] = lost
		}
		c.mu.Unlock()
		switch {
		case err != nil:
			return fmt.Errorf("claiming upload %s: %w", fid, err)
		case got:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("upload %s: %w", fid, ErrClaimed)
		case <-time.After(claimPoll):
		}
	}
}

// ReleaseUpload drops one claim of upload fid; the last lets other
// servers claim it.
func (s *Store) ReleaseUpload(ctx context.Context, fid uuid.UUID) (err error) {
	defer s.observe("release_upload", time.Now(), &err)
	c := s.claims
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count[fid] == 0 {
		return nil
	}
	if c.count[fid]--; c.count[fid] > 0 {
		return nil
	}
	delete(c.count, fid)
	delete(c.lost, fid)
	_, err = c.lock.Exec(ctx, "SELECT pg_advisory_unlock($1)", lockKey(fid))
	return err
}

package pgmeta_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/store/pgmeta"
	"github.com/hoist-dev/hoist/transfer/store/pgmeta/pgtest"
	"github.com/jackc/pgx/v5"
)

func openStore(t *testing.T, url string) *pgmeta.Store {
	t.Helper()
	s, err := pgmeta.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// wait fails t unless ch is closed within a minute.
func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("%s did not happen within a minute", what)
	}
}

// TestClaimHandedOver: a server claiming an upload another holds tells
// the holder and waits until it lets go; a claim nobody releases times
// out with ErrClaimed.
func TestClaimHandedOver(t *testing.T) {
	pg := pgtest.Start(t, inCI())
	url := pg.NewDatabase(t)
	a, b := openStore(t, url), openStore(t, url)
	fid := uuid.New()
	lost := make(chan struct{})
	if err := a.ClaimUpload(t.Context(), fid, func() { close(lost) }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	// a is told but does not let go yet.
	if err := b.ClaimUpload(ctx, fid, func() {}); !errors.Is(err, pgmeta.ErrClaimed) {
		t.Fatalf("claiming an upload another server holds: %v, want ErrClaimed", err)
	}
	wait(t, lost, "the holder hearing of the claim")
	claimed := make(chan error, 1)
	go func() { claimed <- b.ClaimUpload(context.Background(), fid, func() {}) }()
	if err := a.ReleaseUpload(t.Context(), fid); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-claimed:
		if err != nil {
			t.Fatalf("claim after the holder let go: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the claim was not granted within a minute of the release")
	}
}

// TestClaimSurvivesBrokenConnection: when the connection holding the
// claims breaks, their holders are told and the next claim works.
func TestClaimSurvivesBrokenConnection(t *testing.T) {
	pg := pgtest.Start(t, inCI())
	url := pg.NewDatabase(t)
	a := openStore(t, url)
	first := uuid.New()
	lost := make(chan struct{})
	if err := a.ClaimUpload(t.Context(), first, func() { close(lost) }); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminating the claims' connection: %d terminated, %v", n, err)
	}
	if err := a.ClaimUpload(t.Context(), uuid.New(), func() {}); err != nil {
		t.Fatalf("a claim after the connection broke: %v", err)
	}
	wait(t, lost, "the holder of a claim lost with its connection being told")
}

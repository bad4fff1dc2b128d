package client

import (
	"context"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/hoist-dev/hoist/transfer/servertest"
)

// serveAs serves every connection to a loopback listener as user, as
// `hoist serve --stdio --user` does for a connection sshd vouched for.
func serveAs(t *testing.T, srv *servertest.Server, user string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { srv.Server().ServeConnAs(ctx, c, user) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		cancel()
		wg.Wait()
	})
	return "tcp://" + ln.Addr().String()
}

// TestNoTokenActsAsTheStreamsUser sends, lists and removes with an empty
// token on connections the server serves as alice.
func TestNoTokenActsAsTheStreamsUser(t *testing.T) {
	srv := servertest.Start(t)
	url := serveAs(t, srv, "alice")
	dir := filepath.Join(t.TempDir(), "d")
	writeTree(t, dir, map[string]string{"x.txt": "x"})
	e, rec := newEngine(t, testOptions(t, url, NoToken))
	if _, err := runJob(t, e, rec, TreeSpec{Paths: []string{dir}}); err != nil {
		t.Fatal(err)
	}
	if got := serverPaths(t, srv, "alice"); !slices.Equal(got, []string{"d/x.txt"}) {
		t.Fatalf("alice holds %q", got)
	}
	var listed []string
	if _, err := e.List(context.Background(), ListQuery{}, func(f RemoteFile) error {
		listed = append(listed, f.Path)
		return nil
	}); err != nil || !slices.Equal(listed, []string{"d/x.txt"}) {
		t.Fatalf("listed %q, %v", listed, err)
	}
	if _, err := e.Remove(context.Background(), []string{"d/x.txt"}); err != nil {
		t.Fatal(err)
	}
	if got := serverPaths(t, srv, "alice"); len(got) != 0 {
		t.Fatalf("alice still holds %q", got)
	}
}

// TestEmptyTokenIsRefusedWithoutAStreamUser: on an ordinary connection an
// empty token is no identity.
func TestEmptyTokenIsRefusedWithoutAStreamUser(t *testing.T) {
	srv := servertest.Start(t)
	e, _ := newEngine(t, testOptions(t, srv.URL(), NoToken))
	_, err := e.List(context.Background(), ListQuery{}, func(RemoteFile) error { return nil })
	if err == nil {
		t.Fatal("an empty token listed files on a connection without a user")
	}
}

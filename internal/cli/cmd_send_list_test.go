package cli

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/client"
)

// closedAddress returns a loopback address nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// journalUpload writes a journal entry for an upload of one file of the
// sandbox, as the engine does once a server accepted it.
func (s *sandbox) journalUpload(fid, server, name, data string) {
	s.t.Helper()
	path := writeFile(s.t, s.home, name, data)
	fi, err := os.Stat(path)
	if err != nil {
		s.t.Fatal(err)
	}
	entry := client.JournalEntry{Version: 1, FID: fid, Server: server, ChunkSize: 1 << 20, Created: time.Now().UTC(),
		Files: []client.JournalFile{{Path: path, Name: name, Size: uint64(fi.Size()), ModTime: fi.ModTime()}}}
	raw, err := json.Marshal(entry)
	if err != nil {
		s.t.Fatal(err)
	}
	dir := filepath.Join(s.vars["XDG_STATE_HOME"], "hoist", "uploads")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, fid+".json"), raw, 0o600); err != nil {
		s.t.Fatal(err)
	}
}

// TestSendListAndDiscardByPrefix lists journaled uploads with their short
// fids and discards one by a unique prefix; unknown and ambiguous prefixes
// are refused with what to do.
func TestSendListAndDiscardByPrefix(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	server := "tcp://" + closedAddress(t)
	const (
		first  = "abcd1111-0000-4000-8000-000000000001"
		second = "abcd2222-0000-4000-8000-000000000002"
	)
	s.journalUpload(first, server, "one.txt", "first upload")
	s.journalUpload(second, server, "two.txt", "the second upload")

	out := s.mustRun("send", "--list", "--json")
	var listed []listJSON
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r listJSON
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		listed = append(listed, r)
	}
	if len(listed) != 2 || listed[0].ShortFID != "abcd1111" || listed[1].FID != second ||
		listed[1].Bytes != uint64(len("the second upload")) || listed[0].Files[0].Name != "one.txt" || listed[0].Server != server {
		t.Fatalf("send --list --json: got %+v\n%s", listed, out)
	}
	table := s.mustRun("send", "--list")
	if !strings.Contains(table, "abcd2222") || !strings.Contains(table, "two.txt") || strings.Contains(table, second) {
		t.Fatalf("send --list shows short fids and file names, got:\n%s", table)
	}

	r := s.run("send", "--discard", "abcd")
	if r.code == 0 || !strings.Contains(r.stderr, "matches 2 uploads (abcd1111, abcd2222)") {
		t.Fatalf("an ambiguous prefix: want a refusal naming both, got exit %d:\n%s", r.code, r.stderr)
	}
	r = s.run("send", "--discard", "ffff")
	if r.code == 0 || !strings.Contains(r.stderr, `no upload's fid starts with "ffff"`) || !strings.Contains(r.stderr, "hoist send --list") {
		t.Fatalf("an unknown prefix: want a refusal pointing to --list, got exit %d:\n%s", r.code, r.stderr)
	}
	r = s.run("send", "--discard", "ABCD2")
	if r.code != 0 || !strings.Contains(r.stdout, "discarded abcd2222") || !strings.Contains(r.stderr, "notice:") {
		t.Fatalf("a unique prefix with the server down: want discarded with a notice, got exit %d:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	out = s.mustRun("send", "--list", "--json")
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, first) {
		t.Fatalf("after discarding abcd2222 only abcd1111 is left, got:\n%s", out)
	}
}

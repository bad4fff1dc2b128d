package client

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func testEntry(dir string, created time.Time) *JournalEntry {
	return &JournalEntry{
		FID: uuid.NewString(), Server: "tcp://127.0.0.1:7800",
		Files:     []JournalFile{{Path: filepath.Join(dir, "a.bin"), Name: "a.bin", Size: 42, ModTime: created.Add(-time.Hour)}},
		Tags:      []string{"x", "y"},
		ChunkSize: 1 << 20, Created: created,
	}
}

func TestJournalRoundTripAndOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j, err := openJournal(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	newer, older := testEntry(dir, now), testEntry(dir, now.Add(-time.Minute))
	for _, e := range []*JournalEntry{newer, older} {
		if err := j.put(e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := j.list()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !reflect.DeepEqual(got[0], *older) || !reflect.DeepEqual(got[1], *newer) {
		t.Fatalf("list = %+v, want older then newer", got)
	}
	fi, err := os.Stat(j.path(newer.FID))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("entry mode %v, want 0600", fi.Mode().Perm())
	}
	if err := j.remove(newer.FID); err != nil {
		t.Fatal(err)
	}
	if err := j.remove(newer.FID); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
	if got, _ := j.list(); len(got) != 1 || got[0].FID != older.FID {
		t.Fatalf("after remove: %+v", got)
	}
	des, _ := os.ReadDir(j.dir)
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".tmp") {
			t.Fatalf("temporary file %s left behind", de.Name())
		}
	}
}

func TestJournalSkipsBadEntriesButReportsThem(t *testing.T) {
	t.Parallel()
	j, err := openJournal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	good := testEntry(j.dir, time.Now())
	if err := j.put(good); err != nil {
		t.Fatal(err)
	}
	bad := uuid.NewString()
	if err := os.WriteFile(j.path(bad), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := j.list()
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("error %v does not name the bad entry %s", err, bad)
	}
	if len(got) != 1 || got[0].FID != good.FID {
		t.Fatalf("good entries %+v", got)
	}
}

package wire

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCheckPath(t *testing.T) {
	t.Parallel()
	for _, good := range []string{
		"notes.txt", "a/notes.txt", "b/sub/notes.txt", "é/ü.txt", "..a/b..", ".hidden/x",
		strings.Repeat("x", MaxNameLength) + "/" + strings.Repeat("y", MaxNameLength),
		strings.Repeat(strings.Repeat("d", 15)+"/", MaxPathLength/16-1) + "file",
	} {
		if err := CheckPath(good); err != nil {
			t.Errorf("%q refused: %v", truncateForError(good), err)
		}
	}
	for _, bad := range []string{
		"", "/", "/etc/passwd", "a/", "a//b", "./a", "a/./b", "a/../b", "..", "a/..",
		`a\b`, "a/b\x00c", "a/\x1fb", "a/\x7f", "a/\u0085b", "a/\xff", "a\n/b",
		strings.Repeat("x", MaxNameLength+1),
		"a/" + strings.Repeat("x", MaxNameLength+1),
		strings.Repeat(strings.Repeat("d", 15)+"/", MaxPathLength/16) + "file",
	} {
		if err := CheckPath(bad); err == nil {
			t.Errorf("%q accepted", truncateForError(bad))
		}
	}
}

func TestDecodeList(t *testing.T) {
	t.Parallel()
	in := `{"message-id":"m","token":"t","prefix":"a/","paths":["a/x","a/y"],"tags":["k"],"after":"a/w","limit":10,"other":{"x":[1]}}`
	got, err := DecodeList([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &List{MessageID: "m", Token: "t", Prefix: "a/", Paths: []string{"a/x", "a/y"}, Tags: []string{"k"}, After: "a/w", Limit: 10}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// What EncodeJSON writes decodes to the same request.
	b, err := EncodeJSON(want)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := DecodeList(b); err != nil || !reflect.DeepEqual(again, want) {
		t.Fatalf("round trip: %+v %v", again, err)
	}
	if got, err := DecodeList([]byte(`{"message-id":"m"}`)); err != nil || got.Limit != 0 || got.Paths != nil {
		t.Fatalf("minimal LIST: %+v %v", got, err)
	}

	many := `{"paths":[` + strings.Repeat(`"p",`, MaxListPaths) + `"p"]}`
	if _, err := DecodeList([]byte(many)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("%d paths: %v, want too-large", MaxListPaths+1, err)
	}
	for _, bad := range []string{
		``, `[]`, `{"limit":-1}`, `{"limit":"1"}`, `{"paths":"a"}`, `{"paths":[1]}`, `{"prefix":1}`,
		`{"prefix":"\ud800"}`, "{\"after\":\"\xff\"}", `{"paths":["a","\udc00"]}`, `{"tags":["\ud834"]}`,
		`{} {}`, `{"a":1,}`, `{"tags":[` + strings.Repeat(`"t",`, MaxListTags) + `"t"]}`,
	} {
		if _, err := DecodeList([]byte(bad)); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%.60q: %v, want bad-request", bad, err)
		}
	}
}

func TestDecodeRemove(t *testing.T) {
	t.Parallel()
	got, err := DecodeRemove([]byte(`{"message-id":"m","paths":["a/x","b"],"x":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (&Remove{MessageID: "m", Paths: []string{"a/x", "b"}}); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for _, bad := range []string{`{"message-id":"m"}`, `{"paths":[]}`, `{"paths":null}`, `{"paths":["\udfff"]}`, `{"paths":[{}]}`} {
		if _, err := DecodeRemove([]byte(bad)); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%q: %v, want bad-request", bad, err)
		}
	}
	long := strings.Repeat("x", 4000)
	big := `{"paths":[` + strings.Repeat(`"`+long+`",`, 300) + `"x"]}`
	if _, err := DecodeRemove([]byte(big)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("paths over %d bytes: %v, want too-large", MaxRemoveBytes, err)
	}
}

func TestDecodeRequestHead(t *testing.T) {
	t.Parallel()
	h, err := DecodeRequestHead([]byte(`{"paths":[{"token":"no"}],"token":"t","message-id":"m"}`), TypeList)
	if err != nil || *h != (RequestHead{MessageID: "m", Token: "t"}) {
		t.Fatalf("got %+v %v", h, err)
	}
	if _, err := DecodeRequestHead([]byte(`{"token":`), TypeRemove); !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "REMOVE") {
		t.Fatalf("truncated: %v", err)
	}
}

func TestListResponseForm(t *testing.T) {
	t.Parallel()
	resp := OKResponse("m")
	resp.Files = []ListedFile{{Name: "a/x", Size: 3, SHA256: "ab", Tags: []string{"t"}, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	resp.Next = "a/x"
	resp.Limits = &ServerLimits{MaxFiles: 1000, MaxFileSize: 1 << 36, MaxChunkSize: 4 << 20}
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"message-id":"m","response":"Ok","files":[{"name":"a/x","size":3,"sha256":"ab","tags":["t"],"time":"2026-01-02T03:04:05Z"}],"next":"a/x","limits":{"max-files":1000,"max-file-size":68719476736,"max-chunk-size":4194304}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	back, err := DecodeResponse(b)
	if err != nil || !reflect.DeepEqual(back, resp) {
		t.Fatalf("decoded %+v %v", back, err)
	}
}

// FuzzDecodeList: any payload either fails with a bad-request or too-large
// *Error, or decodes to a LIST within the limits whose strings are valid
// UTF-8 and that survives EncodeJSON and DecodeList unchanged.
func FuzzDecodeList(f *testing.F) {
	f.Add([]byte(`{"message-id":"m","token":"t","prefix":"a/","paths":["a/x"],"tags":["k"],"after":"a","limit":5}`))
	f.Add([]byte(`{"paths":["\ud800"]}`))
	f.Add([]byte(`{"limit":-1,"paths":null}`))
	f.Add([]byte(`{"PATHS":["x"],"Prefix":"\u00e9"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		l, err := DecodeList(in)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if len(l.Paths) > MaxListPaths || len(l.Tags) > MaxListTags || l.Limit < 0 {
			t.Fatalf("limits not applied: %d paths, %d tags, limit %d", len(l.Paths), len(l.Tags), l.Limit)
		}
		b, err := EncodeJSON(l)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeList(b)
		if err != nil {
			t.Fatalf("re-encoded LIST %s does not decode: %v", b, err)
		}
		if !reflect.DeepEqual(normList(again), normList(l)) {
			t.Fatalf("round trip changed it:\n%+v\n%+v", l, again)
		}
	})
}

// normList makes empty and nil lists equal (omitempty drops both).
func normList(l *List) List {
	c := *l
	if len(c.Paths) == 0 {
		c.Paths = nil
	}
	if len(c.Tags) == 0 {
		c.Tags = nil
	}
	return c
}

// FuzzDecodeRemove: any payload either fails with a bad-request or
// too-large *Error, or decodes to a REMOVE of 1 to MaxListPaths paths
// that survives EncodeJSON and DecodeRemove unchanged.
func FuzzDecodeRemove(f *testing.F) {
	f.Add([]byte(`{"message-id":"m","token":"t","paths":["a/x","b"]}`))
	f.Add([]byte(`{"paths":[]}`))
	f.Add([]byte(`{"paths":["\udbff\udfff","\\u0000"]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := DecodeRemove(in)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if len(r.Paths) == 0 || len(r.Paths) > MaxListPaths {
			t.Fatalf("%d paths accepted", len(r.Paths))
		}
		b, err := EncodeJSON(r)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeRemove(b)
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip: %+v %v, want %+v", again, err, r)
		}
	})
}

func checkRefusal(t *testing.T, err error) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok || (e.Code != CodeBadRequest && e.Code != CodeTooLarge) {
		t.Fatalf("error %v is not a bad-request or too-large *Error", err)
	}
}

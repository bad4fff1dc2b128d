package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeAuthenticationHead(t *testing.T) {
	good := []struct {
		in   string
		want AuthenticationHead
	}{
		{`{"message-id":"m","token":"t","fid":"f"}`, AuthenticationHead{"m", "t", "f", false}},
		{`{"message-id":"m","token":"t","fid":"f","abort":true}`, AuthenticationHead{"m", "t", "f", true}},
		{` { "files" : [ {"name":"a\"]}","size":1}, [[]], {} ] , "Token":"t\u0041", "x":{"token":"no"}, "fid":null, "n": -1.5e3, "b": true } `, AuthenticationHead{"", "tA", "", false}},
		{`{}`, AuthenticationHead{}},
		{`{"token":"a","token":"b"}`, AuthenticationHead{Token: "b"}},
	}
	for _, c := range good {
		h, err := DecodeAuthenticationHead([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if *h != c.want {
			t.Errorf("%s: got %+v, want %+v", c.in, *h, c.want)
		}
	}
	for _, bad := range []string{``, `[]`, `{"token":`, `{"token":"a"`, `{"token":"a",}`, `{"token":1}`, `{"a":"b"} x`, `{"a" "b"}`, `{"files":[}`, `{"a":}`} {
		_, err := DecodeAuthenticationHead([]byte(bad))
		if !errors.Is(err, ErrBadRequest) {
			t.Errorf("%q: got %v, want bad-request", bad, err)
		}
	}
}

func TestDecodeAuthenticationLimited(t *testing.T) {
	full := `{"message-id":"m","token":"t","files":[{"name":"a","size":1},{"name":"b","size":2}],"fid":"f","tags":["x","y","z"],"chunk-size":4096,"other":[1,2],"abort":false}`
	want, err := DecodeAuthentication([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeAuthenticationLimited([]byte(full), 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if _, err := DecodeAuthenticationLimited([]byte(full), 1, 3); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("3 files over a limit of 1: %v", err)
	}
	got, err = DecodeAuthenticationLimited([]byte(full), 2, 1)
	if err != nil || len(got.Tags) != 2 {
		t.Fatalf("tags over the limit: want the first 2 kept, got %v %v", got, err)
	}
	// Only the first elements are decoded: an element past the limit that
	// is malformed does not matter.
	many := `{"files":[` + strings.Repeat(`{},`, 1000) + `{}]}`
	if _, err := DecodeAuthenticationLimited([]byte(many), 10, 1); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("1001 files: %v", err)
	}
	for _, bad := range []string{`{"files":"nope"}`, `{"files":[1]}`, `{"tags":[1]}`, `{"chunk-size":"x"}`, `{"files":[`, `[]`} {
		if _, err := DecodeAuthenticationLimited([]byte(bad), 10, 10); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: got %v, want bad-request", bad, err)
		}
	}
	if a, err := DecodeAuthenticationLimited([]byte(`{"files":null,"tags":null}`), 10, 10); err != nil || a.Files != nil || a.Tags != nil {
		t.Fatalf("nulls: %+v %v", a, err)
	}
}

// TestAuthenticationInvalidUTF8: names and tags that are not valid UTF-8,
// as raw bytes or as escaped lone surrogates, are refused instead of being
// turned into U+FFFD; a real U+FFFD, raw or escaped, is kept.
func TestAuthenticationInvalidUTF8(t *testing.T) {
	for _, bad := range []string{
		"{\"files\":[{\"name\":\"a\xffb\",\"size\":1}]}",
		`{"files":[{"name":"a\ud800b","size":1}]}`,
		`{"files":[{"name":"\ufffd\udfff","size":1}]}`,
		"{\"tags\":[\"x\xc3\"]}",
	} {
		if _, err := DecodeAuthenticationLimited([]byte(bad), 10, 10); !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "UTF-8") {
			t.Errorf("%q: got %v, want bad-request about UTF-8", bad, err)
		}
	}
	a, err := DecodeAuthenticationLimited([]byte(`{"files":[{"name":"a\uFFFDb\ufffd�","size":1},{"name":"\ud83d\ude00","size":1}],"tags":["é"]}`), 10, 10)
	if err != nil || a.Files[0].Name != "a\uFFFDb\uFFFD\uFFFD" || a.Files[1].Name != "😀" || a.Tags[0] != "é" {
		t.Fatalf("valid names: %+v %v", a, err)
	}
}

// FuzzAuthenticationDecoders: on every payload encoding/json accepts, the
// head decoder finds the same message-id, token, fid and abort, and the
// limited decoder (with limits it cannot reach) decodes what
// DecodeAuthentication does, or refuses invalid UTF-8 that encoding/json
// replaced. The exception is a bare null, which encoding/json takes as an
// empty message: both decoders refuse it as not an object.
func FuzzAuthenticationDecoders(f *testing.F) {
	f.Add([]byte(`{"message-id":"m","token":"t","files":[{"name":"a","size":1}],"fid":"f","tags":["x"],"chunk-size":4096,"abort":true}`))
	f.Add([]byte(`{"Token":"a\"b\\","x":[{"y":"]}"}],"fid":"\u00e9"}`))
	f.Add([]byte(` {"files":null , "tags" : [] } `))
	f.Fuzz(func(t *testing.T, in []byte) {
		var want Authentication
		if json.Unmarshal(in, &want) != nil {
			return
		}
		if string(bytes.TrimSpace(in)) == "null" {
			_, headErr := DecodeAuthenticationHead(in)
			_, limitedErr := DecodeAuthenticationLimited(in, 1<<20, 1<<20)
			for _, err := range []error{headErr, limitedErr} {
				if !errors.Is(err, ErrBadRequest) || !strings.Contains(fmt.Sprint(err), "not a JSON object") {
					t.Fatalf("%q: got %v, want bad-request: not a JSON object", in, err)
				}
			}
			return
		}
		h, err := DecodeAuthenticationHead(in)
		if err != nil {
			t.Fatalf("head decoder refused what encoding/json accepts: %v", err)
		}
		if *h != (AuthenticationHead{want.MessageID, want.Token, want.FID, want.Abort}) {
			t.Fatalf("head %+v, encoding/json %+v", *h, want)
		}
		got, err := DecodeAuthenticationLimited(in, 1<<20, 1<<20)
		if err != nil {
			if errors.Is(err, ErrBadRequest) && strings.Contains(err.Error(), "UTF-8") {
				return
			}
			t.Fatalf("limited decoder refused what encoding/json accepts: %v", err)
		}
		if !reflect.DeepEqual(got, &want) {
			t.Fatalf("limited %+v, encoding/json %+v", got, want)
		}
	})
}

package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

func TestBase64MatchesStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(r.Uint32())
		}
		prefix := []byte(`{"data":"`)
		want := base64.StdEncoding.AppendEncode(bytes.Clone(prefix), src)
		got := appendBase64(bytes.Clone(prefix), src)
		if !bytes.Equal(got, want) {
			t.Fatalf("encode %d bytes:\n got %s\nwant %s", n, got, want)
		}
		enc := want[len(prefix):]
		dst := make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
		m, ok := decodeBase64(dst, enc)
		if !ok || !bytes.Equal(dst[:m], src) {
			t.Fatalf("decode %d bytes: ok %v, got %x, want %x", n, ok, dst[:m], src)
		}
	}
}

func TestDecodeBase64Refuses(t *testing.T) {
	for _, in := range []string{
		"QUJD\nREVG",       // a line break, which encoding/base64 skips but JSON forbids
		"QUJDREVG\r\nQQ==", // the same before the last group
		"\n\n\n\nQUJD",     // four line breaks: a whole group's worth
		"QUJDREVG\r\n\r\n", // at the end
		"QUJ=REVG",         // padding inside
		"QUJDREV",          // not a multiple of 4
		"QUJD\\/EVG",       // a JSON escape
		"QUJDRE\x00G",      // a control character
		"QUJDREVGé=",       // not ASCII
	} {
		dst := make([]byte, len(in))
		if n, ok := decodeBase64(dst, []byte(in)); ok {
			t.Errorf("%q decoded to %q", in, dst[:n])
		}
	}
}

// FuzzBase64 holds the encoder and the decoder to encoding/base64: the same
// text, and the same bytes wherever the decoder accepts an input (it may
// refuse inputs encoding/base64 takes, which then go the slow way).
func FuzzBase64(f *testing.F) {
	f.Add([]byte("hello, chunk \x00\xff"))
	f.Add([]byte("QUJDREVGR0g="))
	f.Add([]byte("YR=="))
	f.Add([]byte("QUJD\nREVG"))
	f.Add([]byte("\n\n\n\nQUJD"))
	f.Add([]byte("QUJDREVG\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if got, want := appendBase64(nil, in), base64.StdEncoding.AppendEncode(nil, in); !bytes.Equal(got, want) {
			t.Fatalf("encode %x:\n got %s\nwant %s", in, got, want)
		}
		n := base64.StdEncoding.DecodedLen(len(in))
		dst, ref := make([]byte, n), make([]byte, n)
		m, ok := decodeBase64(dst, in)
		rm, err := base64.StdEncoding.Decode(ref, in)
		if ok && (err != nil || !bytes.Equal(dst[:m], ref[:rm])) {
			t.Fatalf("decode %q: got %x, encoding/base64 %x %v", in, dst[:m], ref[:rm], err)
		}
		if err == nil && !bytes.ContainsAny(in, "\r\n") && !ok {
			t.Fatalf("decode %q refused; encoding/base64 takes it", in)
		}
	})
}

func BenchmarkBase64(b *testing.B) {
	src := bytes.Repeat([]byte{0xa5, 0x5a, 0x00, 0xff, 0x13}, (4<<20)/5)
	enc := base64.StdEncoding.AppendEncode(nil, src)
	dst := make([]byte, 0, len(enc))
	out := make([]byte, len(src)+8)
	b.Run("encode/fast", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			dst = appendBase64(dst[:0], src)
		}
	})
	b.Run("encode/std", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			dst = base64.StdEncoding.AppendEncode(dst[:0], src)
		}
	})
	b.Run("decode/fast", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if _, ok := decodeBase64(out, enc); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("decode/std", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if _, err := base64.StdEncoding.Decode(out, enc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestDecodeTransferDataEdgeCases: data the fast decoder refuses still
// decodes as encoding/json decodes it.
func TestDecodeTransferDataEdgeCases(t *testing.T) {
	for _, c := range []string{
		`{"data":"QUJD\nREVG"}`,     // a raw line break: not JSON
		`{"data":"QUJD\\nREVG"}`,    // an escaped one: JSON, and base64 skips it
		`{"data":"QUJD\\/EVG"}`,     // an escaped slash
		`{"data":"QUJDREVG\u0000"}`, // an escaped NUL
		`{"data":"YR=="}`,           // non-zero trailing bits
		`{"data":"QUJ=REVG"}`,       // padding inside
		`{"data":""}`,
	} {
		var fast, std Transfer
		ferr := DecodeTransfer([]byte(c), &fast)
		serr := json.Unmarshal([]byte(c), &std)
		if (ferr == nil) != (serr == nil) || !bytes.Equal(fast.Data, std.Data) || (fast.Data == nil) != (std.Data == nil) {
			t.Errorf("%s:\nfast %q %v\n std %q %v", c, fast.Data, ferr, std.Data, serr)
		}
	}
}

package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// These benchmarks complete transfer_codec_test.go's: every codec a chunk
// goes through, at the size of a small file's chunk and at the default
// maximum chunk size, next to encoding/json as the baseline. Run with
//
//	go test -run '^$' -bench . -benchmem ./transfer/wire

var benchChunkSizes = []int{4 << 10, 4 << 20}

func benchSizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}

func benchTransfer(n int) *Transfer {
	tr := sampleTransfer()
	tr.Data = bytes.Repeat([]byte{0xa5, 0x5a, 0x00, 0xff}, n/4)
	return tr
}

// BenchmarkEncodeTransfer compares the fast encoder with json.Marshal.
func BenchmarkEncodeTransfer(b *testing.B) {
	for _, n := range benchChunkSizes {
		tr := benchTransfer(n)
		b.Run("fast/"+benchSizeName(n), func(b *testing.B) {
			buf := make([]byte, 0, 2*n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendTransfer(buf[:0], tr)
			}
		})
		b.Run("std/"+benchSizeName(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(tr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeTransfer compares the fast decoder with json.Unmarshal.
func BenchmarkDecodeTransfer(b *testing.B) {
	for _, n := range benchChunkSizes {
		payload := AppendTransfer(nil, benchTransfer(n))
		b.Run("fast/"+benchSizeName(n), func(b *testing.B) {
			out := Transfer{Data: make([]byte, 0, n)}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if err := DecodeTransfer(payload, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("std/"+benchSizeName(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				var out Transfer
				if err := json.Unmarshal(payload, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawTransfer measures the TRANSFER-RAW extension's codec.
func BenchmarkRawTransfer(b *testing.B) {
	for _, n := range benchChunkSizes {
		tr := benchTransfer(n)
		payload := AppendRawTransfer(nil, tr)
		b.Run("encode/"+benchSizeName(n), func(b *testing.B) {
			buf := make([]byte, 0, n+256)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendRawTransfer(buf[:0], tr)
			}
		})
		b.Run("decode/"+benchSizeName(n), func(b *testing.B) {
			var out Transfer
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if err := DecodeRawTransfer(payload, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFrame measures writing and reading frames on their own.
func BenchmarkFrame(b *testing.B) {
	for _, n := range benchChunkSizes {
		payload := make([]byte, n)
		b.Run("write/"+benchSizeName(n), func(b *testing.B) {
			w := NewWriter(&copySink{buf: make([]byte, 512<<10)})
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if err := w.WriteFrame(TypeTransferRaw, payload); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
		})
		b.Run("read/"+benchSizeName(n), func(b *testing.B) {
			frame := AppendFrame(nil, TypeTransferRaw, payload)
			src := &repeatReader{data: frame}
			r := NewReader(src)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.ReadFrame(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// repeatReader yields data over and over, so a Reader can read frames from it
// forever without the benchmark allocating a stream.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}

// copySink copies what it is given, as a socket write would, and keeps none of it.
type copySink struct{ buf []byte }

func (s *copySink) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		rest = rest[copy(s.buf, rest):]
	}
	return len(p), nil
}

// BenchmarkResponse measures the per-chunk Ok, the one message the server
// sends for every chunk.
func BenchmarkResponse(b *testing.B) {
	ok := OKResponse("1b4e28ba-2fa1-11d2-883f-0016d3cca427")
	payload, err := EncodeJSON(ok)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := EncodeJSON(ok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeResponse(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

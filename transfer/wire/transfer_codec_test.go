package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/uuid"
)

func sampleTransfer() *Transfer {
	crc := uint32(3735928559)
	fid := uuid.MustParse("6f1c1d5e-8f0e-4a57-9d8e-2f5b8c6a1b2c")
	return &Transfer{
		MessageID: uuid.NewString(),
		Chunk:     ChunkID(fid, 2, 17).String(),
		File:      2,
		Index:     17,
		Data:      []byte("hello, chunk \x00\xff"),
		CRC32C:    &crc,
	}
}

func TestAppendTransferMatchesJSON(t *testing.T) {
	for _, tr := range []*Transfer{sampleTransfer(), {}, {MessageID: `<&>"\` + "\u00e9\x01", Data: []byte{}}} {
		want, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendTransfer(nil, tr); !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	}
}

func TestDecodeTransferRoundTrip(t *testing.T) {
	in := sampleTransfer()
	var out Transfer
	if err := DecodeTransfer(AppendTransfer(nil, in), &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, &out) {
		t.Fatalf("got %+v, want %+v", out, in)
	}
}

func TestDecodeTransferReusesBuffer(t *testing.T) {
	payload := AppendTransfer(nil, &Transfer{MessageID: "m", Chunk: "c", Data: make([]byte, 4096)})
	out := Transfer{Data: make([]byte, 0, 8192)}
	allocs := testing.AllocsPerRun(100, func() {
		if err := DecodeTransfer(payload, &out); err != nil {
			t.Fatal(err)
		}
	})
	// Two string fields are copied out of the payload; the data is not.
	if allocs > 2 {
		t.Fatalf("DecodeTransfer allocated %.0f times per call, want at most 2", allocs)
	}
}

func TestDecodeTransferFallsBack(t *testing.T) {
	cases := []string{
		`{"message-id":"a\u0062","chunk":"c","file":1,"index":2,"data":"aGk="}`,
		`{"MESSAGE-ID":"a","data":"aGk=","data":"aGV5"}`,
		`{"file":-1,"index":0,"data":null,"extra":[1,{"x":2}]}`,
		`{"message-id":"é"}`,
	}
	for _, c := range cases {
		var fast, std Transfer
		ferr := DecodeTransfer([]byte(c), &fast)
		serr := json.Unmarshal([]byte(c), &std)
		if (ferr == nil) != (serr == nil) || !reflect.DeepEqual(fast, std) {
			t.Errorf("%s:\nfast %+v %v\n std %+v %v", c, fast, ferr, std, serr)
		}
	}
}

func TestRawTransferRoundTrip(t *testing.T) {
	in := sampleTransfer()
	var out Transfer
	if err := DecodeRawTransfer(AppendRawTransfer(nil, in), &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, &out) {
		t.Fatalf("got %+v, want %+v", out, in)
	}
	if err := DecodeRawTransfer([]byte(`{"message-id":"x"}`), &out); err == nil {
		t.Fatal("header without newline accepted")
	}
}

// FuzzDecodeTransfer holds the fast decoder to encoding/json: same success,
// same value, for any input.
func FuzzDecodeTransfer(f *testing.F) {
	f.Add(AppendTransfer(nil, sampleTransfer()))
	f.Add([]byte(`{"message-id":"a","chunk":"b","file":0,"index":0,"data":""}`))
	f.Add([]byte(` { "file" : 01 } `))
	f.Add([]byte(`{"index":18446744073709551616}`))
	f.Add([]byte(`{"crc32c":4294967296,"data":"YQ"}`))
	f.Add([]byte(`{"data":"YQ==\n"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var fast, std Transfer
		ferr := DecodeTransfer(in, &fast)
		serr := json.Unmarshal(in, &std)
		if (ferr == nil) != (serr == nil) {
			t.Fatalf("fast err %v, std err %v", ferr, serr)
		}
		if ferr != nil {
			return
		}
		if fast.MessageID != std.MessageID || fast.Chunk != std.Chunk || fast.File != std.File ||
			fast.Index != std.Index || !bytes.Equal(fast.Data, std.Data) || (fast.Data == nil) != (std.Data == nil) ||
			!reflect.DeepEqual(fast.CRC32C, std.CRC32C) {
			t.Fatalf("fast %+v\n std %+v", fast, std)
		}
	})
}

// FuzzAppendTransfer holds the fast encoder to json.Marshal.
func FuzzAppendTransfer(f *testing.F) {
	f.Add("id", "chunk", 1, uint64(2), []byte("data"), uint32(7), true)
	f.Add("<\"é\x00>", "", -5, uint64(1<<63), []byte(nil), uint32(0), false)
	f.Fuzz(func(t *testing.T, id, chunk string, file int, index uint64, data []byte, crc uint32, hasCRC bool) {
		tr := &Transfer{MessageID: id, Chunk: chunk, File: file, Index: index, Data: data}
		if hasCRC {
			tr.CRC32C = &crc
		}
		want, err := json.Marshal(tr)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err) // cannot fail for these field types
		}
		if got := AppendTransfer(nil, tr); !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}

func FuzzDecodeAuthentication(f *testing.F) {
	f.Add([]byte(`{"message-id":"m","token":"t","files":[{"name":"a","size":1}],"fid":"f","tags":["x"],"chunk-size":4096}`))
	f.Add([]byte(`{"files":[{"size":-1}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := DecodeAuthentication(in)
		if err == nil && a == nil {
			t.Fatal("nil message without error")
		}
	})
}

// FuzzDecodeResponse: DecodeResponse, fast path or not, accepts what
// encoding/json accepts (with a valid response field) and decodes it to the
// same Response.
func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"message-id":"m","response":"Ok","chunk-size":1024,"missing":[[[0,3]],[]]}`))
	f.Add([]byte(`{"message-id":"m","response":"Error","reason":"r","code":"quota"}`))
	f.Add([]byte(`{"message-id":"m","response":"Ok"}`))
	f.Add([]byte(` { "response" : "Ok" , "message-id" : "m" } `))
	f.Add([]byte(`{"message-id":"m","message-id":"n","response":"Ok"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := DecodeResponse(in)
		if err == nil && r.Err() == nil && !r.OK() {
			t.Fatal("error response without error")
		}
		var want Response
		jsonErr := json.Unmarshal(in, &want)
		valid := jsonErr == nil && (want.Response == ResponseOK || want.Response == ResponseError)
		if (err == nil) != valid {
			t.Fatalf("DecodeResponse says %v; encoding/json says %v, response %q", err, jsonErr, want.Response)
		}
		if err == nil && !reflect.DeepEqual(*r, want) {
			t.Fatalf("decoded %+v, encoding/json gives %+v", *r, want)
		}
	})
}

// TestDecodeResponseTakesTheFastPath: the Ok to a chunk is parsed without
// encoding/json, which allocated 7 times per answer.
func TestDecodeResponseTakesTheFastPath(t *testing.T) {
	payload := []byte(`{"message-id":"c-0-17","response":"Ok"}`)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := DecodeResponse(payload); err != nil {
			t.Fatal(err)
		}
	})
	// The Response and its two strings.
	if allocs > 3 {
		t.Fatalf("DecodeResponse allocated %.0f times per call, want at most 3", allocs)
	}
}

func BenchmarkAppendTransfer(b *testing.B) {
	tr := sampleTransfer()
	tr.Data = make([]byte, 1<<20)
	buf := make([]byte, 0, 2<<20)
	b.SetBytes(int64(len(tr.Data)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendTransfer(buf[:0], tr)
	}
}

func BenchmarkDecodeTransferFast(b *testing.B) {
	tr := sampleTransfer()
	tr.Data = make([]byte, 1<<20)
	payload := AppendTransfer(nil, tr)
	out := Transfer{Data: make([]byte, 0, 2<<20)}
	b.SetBytes(int64(len(tr.Data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := DecodeTransfer(payload, &out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeTransferStd is the baseline: encoding/json on the same payload.
func BenchmarkDecodeTransferStd(b *testing.B) {
	tr := sampleTransfer()
	tr.Data = make([]byte, 1<<20)
	payload := AppendTransfer(nil, tr)
	b.SetBytes(int64(len(tr.Data)))
	b.ReportAllocs()
	for b.Loop() {
		var out Transfer
		if err := json.Unmarshal(payload, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFrameRoundTrip(b *testing.B) {
	payload := make([]byte, 1<<20)
	var buf bytes.Buffer
	w := NewWriter(&buf)
	r := NewReader(&buf)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		_ = w.WriteFrame(TypeTransferRaw, payload)
		_ = w.Flush()
		if _, err := r.ReadFrame(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecodeRawTransferTakesTheFastPath: a client's TRANSFER-RAW header
// is parsed without encoding/json, which allocated 8 times per chunk.
func TestDecodeRawTransferTakesTheFastPath(t *testing.T) {
	payload := AppendRawTransfer(nil, sampleTransfer())
	var out Transfer
	allocs := testing.AllocsPerRun(100, func() {
		if err := DecodeRawTransfer(payload, &out); err != nil {
			t.Fatal(err)
		}
	})
	// The two strings and the crc32c are copied out of the payload.
	if allocs > 3 {
		t.Fatalf("DecodeRawTransfer allocated %.0f times per call, want at most 3", allocs)
	}
}

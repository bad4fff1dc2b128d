package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeRawTransfer: any payload either fails with bad-request or
// decodes to a Transfer that AppendRawTransfer re-encodes to a payload
// decoding to the same Transfer, whose Data is the bytes after the first
// newline. The header decodes as encoding/json decodes it into a RawHeader,
// fast path or not.
func FuzzDecodeRawTransfer(f *testing.F) {
	f.Add(AppendRawTransfer(nil, sampleTransfer()))
	f.Add([]byte("{\"message-id\":\"m\",\"chunk\":\"c\",\"file\":0,\"index\":3}\n\x00\x01\n\xff"))
	f.Add([]byte("{}\n"))
	f.Add([]byte("no newline"))
	f.Add([]byte("{\"file\":-1,\"index\":1e3}\nx"))
	f.Add([]byte("{\"message-id\":\"m\",\"data\":\"AAAA\",\"index\":2}\nx"))
	f.Add([]byte("{\"index\":1,\"index\":2,\"crc32c\":null}\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var tr Transfer
		err := DecodeRawTransfer(in, &tr)
		nl := bytes.IndexByte(in, '\n')
		if nl >= 0 {
			var h RawHeader
			jsonErr := json.Unmarshal(in[:nl], &h)
			if (err == nil) != (jsonErr == nil) {
				t.Fatalf("DecodeRawTransfer says %v, encoding/json says %v", err, jsonErr)
			}
			want := Transfer{MessageID: h.MessageID, Chunk: h.Chunk, File: h.File, Index: h.Index, CRC32C: h.CRC32C}
			if got := (Transfer{MessageID: tr.MessageID, Chunk: tr.Chunk, File: tr.File, Index: tr.Index, CRC32C: tr.CRC32C}); err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("header decoded to %+v, encoding/json gives %+v", got, want)
			}
		}
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Code != CodeBadRequest {
				t.Fatalf("error %v is not a bad-request *Error", err)
			}
			return
		}
		if !bytes.Equal(tr.Data, in[nl+1:]) {
			t.Fatalf("data %q, want the bytes after the first newline", tr.Data)
		}
		var again Transfer
		if err := DecodeRawTransfer(AppendRawTransfer(nil, &tr), &again); err != nil {
			t.Fatalf("re-encoded payload does not decode: %v", err)
		}
		if !bytes.Equal(again.Data, tr.Data) || again.MessageID != tr.MessageID || again.Chunk != tr.Chunk ||
			again.File != tr.File || again.Index != tr.Index || !reflect.DeepEqual(again.CRC32C, tr.CRC32C) {
			t.Fatalf("round trip changed it:\n%+v\n%+v", tr, again)
		}
	})
}

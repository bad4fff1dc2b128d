package wire

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecodeRawTransfer: any payload either fails with bad-request or
// decodes to a Transfer that AppendRawTransfer re-encodes to a payload
// decoding to the same Transfer, whose Data is the bytes after the first
// newline.
func FuzzDecodeRawTransfer(f *testing.F) {
	f.Add(AppendRawTransfer(nil, sampleTransfer()))
	f.Add([]byte("{\"message-id\":\"m\",\"chunk\":\"c\",\"file\":0,\"index\":3}\n\x00\x01\n\xff"))
	f.Add([]byte("{}\n"))
	f.Add([]byte("no newline"))
	f.Add([]byte("{\"file\":-1,\"index\":1e3}\nx"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var tr Transfer
		if err := DecodeRawTransfer(in, &tr); err != nil {
			if e, ok := err.(*Error); !ok || e.Code != CodeBadRequest {
				t.Fatalf("error %v is not a bad-request *Error", err)
			}
			return
		}
		nl := bytes.IndexByte(in, '\n')
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

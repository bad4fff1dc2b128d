package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestWriteFramePartsMatchesWriteFrame: a frame written in two parts is the
// frame of the joined payload, and a TRANSFER-RAW sent as header line plus
// bytes is the payload AppendRawTransfer builds.
func TestWriteFramePartsMatchesWriteFrame(t *testing.T) {
	tr := sampleTransfer()
	tr.Data = bytes.Repeat([]byte{0xa5}, 300<<10) // more than the Writer's buffer
	var joined, parts bytes.Buffer
	jw, pw := NewWriter(&joined), NewWriter(&parts)
	if err := jw.WriteFrame(TypeTransferRaw, AppendRawTransfer(nil, tr)); err != nil {
		t.Fatal(err)
	}
	if err := pw.WriteFrameParts(TypeTransferRaw, AppendRawHeader(nil, tr), tr.Data); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(jw.Flush(), pw.Flush()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(joined.Bytes(), parts.Bytes()) {
		t.Fatalf("frames differ: %d and %d bytes", joined.Len(), parts.Len())
	}
	f, err := NewReader(&parts).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	var got Transfer
	if err := DecodeRawTransfer(f.Payload, &got); err != nil || !bytes.Equal(got.Data, tr.Data) || got.MessageID != tr.MessageID {
		t.Fatalf("decoded %v: %d bytes, message-id %q", err, len(got.Data), got.MessageID)
	}
}

func TestWriteFramePartsRefusesOversize(t *testing.T) {
	w := NewWriter(io.Discard)
	err := w.WriteFrameParts(TypeTransferRaw, make([]byte, 10), make([]byte, MaxPayload-9))
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("got %v, want ErrFrameTooLarge", err)
	}
	if w.Buffered() != 0 {
		t.Fatalf("%d bytes buffered for a refused frame", w.Buffered())
	}
}

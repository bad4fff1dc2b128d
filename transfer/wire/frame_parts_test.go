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

// writeSizes records the size of every write it gets.
type writeSizes struct {
	bytes.Buffer
	sizes []int
}

func (w *writeSizes) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.Buffer.Write(p)
}

// TestLargePartsGoStraightToTheStream: a part at least as large as the
// Writer's buffer reaches the stream in one write of its own, not copied
// through the buffer, and the frames around it still arrive whole and in
// order.
func TestLargePartsGoStraightToTheStream(t *testing.T) {
	var dst writeSizes
	w := NewWriter(&dst)
	sizes := []int{10, 256 << 10, 100, 1 << 20, 256<<10 - 1, 3}
	var want [][]byte
	for i, n := range sizes {
		body := bytes.Repeat([]byte{byte(i + 1)}, n)
		want = append(want, append([]byte("head\n"), body...))
		if err := w.WriteFrameParts(TypeTransferRaw, []byte("head\n"), body); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{256 << 10, 1 << 20} {
		found := false
		for _, s := range dst.sizes {
			found = found || s == n
		}
		if !found {
			t.Errorf("no single write of the %d-byte part: writes were %v", n, dst.sizes)
		}
	}
	r := NewReader(&dst)
	for i, p := range want {
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(f.Payload, p) {
			t.Fatalf("frame %d: payload of %d bytes differs from the %d written", i, len(f.Payload), len(p))
		}
	}
}

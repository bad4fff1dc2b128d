package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	payloads := [][]byte{[]byte(`{"a":1}`), {}, bytes.Repeat([]byte{'x'}, 100_000)}
	for i, p := range payloads {
		if err := w.WriteFrame(UserType(i+1), p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf)
	for i, want := range payloads {
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if f.Type != UserType(i+1) || !bytes.Equal(f.Payload, want) {
			t.Fatalf("frame %d: got type %d len %d", i, f.Type, len(f.Payload))
		}
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Fatalf("after last frame: got %v, want io.EOF", err)
	}
}

func header(msgType byte, n uint32, ut byte) []byte {
	h := make([]byte, HeaderSize)
	h[0] = msgType
	binary.BigEndian.PutUint32(h[1:5], n)
	h[5] = ut
	return h
}

func TestFrameRejectsOversizeBeforeAllocating(t *testing.T) {
	for _, n := range []uint32{0xFFFFFFFF, MaxPayload + 1} {
		r := NewReader(bytes.NewReader(header(MessageData, n, 3)))
		_, err := r.ReadFrame()
		if !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("length %d: got %v, want ErrFrameTooLarge", n, err)
		}
		if cap(r.buf) != 0 {
			t.Fatalf("length %d: reader allocated %d bytes", n, cap(r.buf))
		}
	}
	// The largest legal payload is accepted.
	in := append(header(MessageData, MaxPayload, 3), make([]byte, MaxPayload)...)
	f, err := NewReader(bytes.NewReader(in)).ReadFrame()
	if err != nil || len(f.Payload) != MaxPayload {
		t.Fatalf("max payload: %v len %d", err, len(f.Payload))
	}
}

func TestFrameTruncated(t *testing.T) {
	cases := map[string][]byte{
		"half header":  header(MessageData, 10, 1)[:3],
		"half payload": append(header(MessageData, 10, 1), "12345"...),
	}
	for name, in := range cases {
		_, err := NewReader(bytes.NewReader(in)).ReadFrame()
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: got %v, want io.ErrUnexpectedEOF", name, err)
		}
	}
}

func TestFrameWrongMessageType(t *testing.T) {
	_, err := NewReader(bytes.NewReader(header(1, 0, 1))).ReadFrame()
	if !errors.Is(err, ErrMessageType) {
		t.Fatalf("got %v, want ErrMessageType", err)
	}
}

func TestWriteFrameRefusesOversize(t *testing.T) {
	w := NewWriter(io.Discard)
	if err := w.WriteFrame(TypeTransfer, make([]byte, MaxPayload+1)); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("got %v", err)
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add(AppendFrame(nil, TypeAuthentication, []byte(`{"message-id":"x"}`)))
	f.Add(header(MessageData, 0xFFFFFFFF, 3))
	f.Add(header(0, 0, 0))
	f.Add([]byte{2, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		for {
			fr, err := r.ReadFrame()
			if err != nil {
				return
			}
			if len(fr.Payload) > MaxPayload {
				t.Fatalf("payload of %d bytes", len(fr.Payload))
			}
		}
	})
}

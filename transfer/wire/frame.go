package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Frame layout constants. A frame is a 6-byte header followed by the payload:
// byte 0 the libipc message type, bytes 1-4 the payload length (big-endian),
// byte 5 the user type.
const (
	// HeaderSize is the size of a frame header in bytes.
	HeaderSize = 6
	// MaxPayload is the largest payload a frame may carry: libipc's 8,000,000
	// byte message limit less the header.
	MaxPayload = 8_000_000 - HeaderSize
	// MessageData is the libipc message type of every hoist message.
	MessageData byte = 2
)

// UserType tells which hoist message a frame carries.
type UserType byte

// The user types hoist speaks.
const (
	// TypeAuthentication opens or resumes an upload (client to server).
	TypeAuthentication UserType = 1
	// TypeResponse answers one request (server to client).
	TypeResponse UserType = 2
	// TypeTransfer carries one chunk as base64 in JSON (client to server).
	TypeTransfer UserType = 3
	// TypeTransferRaw carries one chunk as a JSON header line followed by the
	// raw bytes. It is an extension: a client may send it only after the
	// server advertised ExtensionRawTransfer.
	TypeTransferRaw UserType = 4
	// TypeList asks for a page of the user's completed files (client to
	// server); an older server answers it bad-request.
	TypeList UserType = 5
	// TypeRemove deletes some of the user's completed files (client to
	// server); an older server answers it bad-request.
	TypeRemove UserType = 6
)

func (t UserType) String() string {
	switch t {
	case TypeAuthentication:
		return "AUTHENTICATION"
	case TypeResponse:
		return "RESPONSE"
	case TypeTransfer:
		return "TRANSFER"
	case TypeTransferRaw:
		return "TRANSFER-RAW"
	case TypeList:
		return "LIST"
	case TypeRemove:
		return "REMOVE"
	}
	return fmt.Sprintf("user type %d", byte(t))
}

// Framing errors. A peer that breaks framing cannot be answered reliably, so a
// server closes the connection on any of them.
var (
	// ErrFrameTooLarge is returned when a header announces more than MaxPayload bytes.
	ErrFrameTooLarge = errors.New("frame payload larger than the protocol allows")
	// ErrMessageType is returned for a libipc message type other than data.
	ErrMessageType = errors.New("frame is not a libipc data message")
)

// Frame is one decoded frame. Payload aliases the Reader's buffer and is only
// valid until the next ReadFrame.
type Frame struct {
	Type    UserType
	Payload []byte
}

// Reader reads frames from a stream. It reuses one payload buffer, grown only
// after the announced length has passed the size guard.
type Reader struct {
	r      *bufio.Reader
	header [HeaderSize]byte
	buf    []byte
}

// NewReader returns a Reader that reads frames from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10)}
}

// ReadFrame reads the next frame. It returns io.EOF only when the stream ends
// cleanly between frames; a stream that ends inside a frame gives
// io.ErrUnexpectedEOF.
func (r *Reader) ReadFrame() (Frame, error) {
	if _, err := io.ReadFull(r.r, r.header[:]); err != nil {
		return Frame{}, err
	}
	if r.header[0] != MessageData {
		return Frame{}, fmt.Errorf("%w: got %d", ErrMessageType, r.header[0])
	}
	n := binary.BigEndian.Uint32(r.header[1:5])
	if n > MaxPayload {
		return Frame{}, fmt.Errorf("%w: %d bytes announced, limit %d", ErrFrameTooLarge, n, MaxPayload)
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	payload := r.buf[:n]
	if _, err := io.ReadFull(r.r, payload); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	return Frame{Type: UserType(r.header[5]), Payload: payload}, nil
}

// Writer writes frames to a buffered stream. Call Flush to push buffered
// frames out; a Writer is not safe for concurrent use.
type Writer struct {
	w   *bufio.Writer
	dst io.Writer
}

// NewWriter returns a Writer that buffers frames for w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 256<<10), dst: w}
}

// put buffers p, except that a part at least as large as the buffer (a
// chunk) goes straight to the stream after what is buffered, never copied.
func (w *Writer) put(p []byte) error {
	if len(p) < w.w.Size() {
		_, err := w.w.Write(p)
		return err
	}
	if err := w.w.Flush(); err != nil {
		return err
	}
	_, err := w.dst.Write(p)
	return err
}

// WriteFrame buffers one frame. It refuses payloads over MaxPayload.
func (w *Writer) WriteFrame(t UserType, payload []byte) error {
	if len(payload) > MaxPayload {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, len(payload), MaxPayload)
	}
	var h [HeaderSize]byte
	PutHeader(h[:], t, len(payload))
	if _, err := w.w.Write(h[:]); err != nil {
		return err
	}
	return w.put(payload)
}

// WriteFrameParts buffers one frame whose payload is head followed by body,
// without first joining them: a TRANSFER-RAW's header line and the chunk's
// bytes, say. It refuses payloads over MaxPayload.
func (w *Writer) WriteFrameParts(t UserType, head, body []byte) error {
	n := len(head) + len(body)
	if n > MaxPayload {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, MaxPayload)
	}
	var h [HeaderSize]byte
	PutHeader(h[:], t, n)
	if _, err := w.w.Write(h[:]); err != nil {
		return err
	}
	if err := w.put(head); err != nil {
		return err
	}
	return w.put(body)
}

// Flush writes any buffered frames to the underlying stream.
func (w *Writer) Flush() error { return w.w.Flush() }

// Buffered reports how many bytes wait in the buffer.
func (w *Writer) Buffered() int { return w.w.Buffered() }

// PutHeader writes a frame header for a payload of n bytes into h, which must
// be at least HeaderSize long.
func PutHeader(h []byte, t UserType, n int) {
	h[0] = MessageData
	binary.BigEndian.PutUint32(h[1:5], uint32(n))
	h[5] = byte(t)
}

// AppendFrame appends a whole frame (header and payload) to dst.
func AppendFrame(dst []byte, t UserType, payload []byte) []byte {
	var h [HeaderSize]byte
	PutHeader(h[:], t, len(payload))
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

package wire

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"
)

// Response values.
const (
	ResponseOK    = "Ok"
	ResponseError = "Error"
)

// DefaultChunkSize is the chunk size when an AUTHENTICATION names none: the
// original protocol's 1 KiB.
const DefaultChunkSize = 1024

// ExtensionRawTransfer is advertised in the Ok to an AUTHENTICATION by a
// server that accepts TypeTransferRaw frames.
const ExtensionRawTransfer = "raw-transfer"

// FileInfo names one file of an upload.
type FileInfo struct {
	Name string `json:"name"`
	Size uint64 `json:"size"`
}

// Authentication opens an upload, or resumes it when FID is known.
type Authentication struct {
	MessageID string     `json:"message-id"`
	Token     string     `json:"token"`
	Files     []FileInfo `json:"files"`
	FID       string     `json:"fid"`
	Tags      []string   `json:"tags"`
	// ChunkSize is the client's wish; 0 means DefaultChunkSize.
	ChunkSize int `json:"chunk-size,omitempty"`
	// Abort asks the server to drop the unfinished upload FID (its partial
	// data, its record and its quota reservation) instead of opening it;
	// Files, Tags and ChunkSize are then left out. A server that knows it
	// answers Ok with Aborted set; an older one answers bad-request (an
	// upload needs files).
	Abort bool `json:"abort,omitempty"`
}

// Range is a half-open range [Start, End) of chunk indexes, encoded as a
// two-element JSON array.
type Range [2]uint64

// Len is the number of chunks in the range.
func (r Range) Len() uint64 { return r[1] - r[0] }

// Response answers the request whose MessageID it repeats.
type Response struct {
	MessageID string `json:"message-id"`
	Response  string `json:"response"`
	Reason    string `json:"reason,omitempty"`
	Code      Code   `json:"code,omitempty"`

	// Set in the Ok to an AUTHENTICATION.
	ChunkSize  int       `json:"chunk-size,omitempty"`
	Missing    [][]Range `json:"missing,omitempty"`
	Extensions []string  `json:"extensions,omitempty"`
	// Complete lists the files of the upload that are already complete on
	// the server, with their sha256, so that a resumed upload can verify
	// files finished in an earlier session (and empty files, which complete
	// at authentication).
	Complete []FileDigest `json:"complete,omitempty"`

	// Aborted is set in the Ok to an AUTHENTICATION with Abort: the server
	// holds no unfinished upload with that fid any more.
	Aborted bool `json:"aborted,omitempty"`

	// Set in the Ok to the TRANSFER that completed a file: its index, its
	// sha256, and the path it was stored under in the user's area (the
	// name sent, or a new unique name when that was taken).
	File   *int   `json:"file,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Stored string `json:"stored,omitempty"`

	// Set in the Ok to a LIST: one page of files in path order, the
	// cursor for the next page (empty on the last page), and the
	// server's limits.
	Files  []ListedFile  `json:"files,omitempty"`
	Next   string        `json:"next,omitempty"`
	Limits *ServerLimits `json:"limits,omitempty"`

	// Set in the Ok to a REMOVE: the paths removed.
	Removed []string `json:"removed,omitempty"`
}

// FileDigest is the sha256 of one completed file of an upload, and the
// path it was stored under.
type FileDigest struct {
	File   int    `json:"file"`
	SHA256 string `json:"sha256"`
	Stored string `json:"stored,omitempty"`
}

// OK reports whether the response is an Ok.
func (r *Response) OK() bool { return r.Response == ResponseOK }

// Err returns the response as an *Error, or nil for an Ok.
func (r *Response) Err() error {
	if r.OK() {
		return nil
	}
	c := r.Code
	if c == "" {
		c = CodeInternal
	}
	return &Error{Code: c, Reason: r.Reason}
}

// OKResponse returns an Ok answering id.
func OKResponse(id string) *Response {
	return &Response{MessageID: id, Response: ResponseOK}
}

// ErrorResponse returns an Error answering id. A non-*Error err is reported
// as internal.
func ErrorResponse(id string, err error) *Response {
	e, ok := err.(*Error)
	if !ok {
		e = &Error{Code: CodeInternal, Reason: err.Error()}
	}
	return &Response{MessageID: id, Response: ResponseError, Reason: e.Reason, Code: e.Code}
}

// Transfer carries one chunk of one file.
type Transfer struct {
	MessageID string `json:"message-id"`
	Chunk     string `json:"chunk"`
	File      int    `json:"file"`
	Index     uint64 `json:"index"`
	// Data holds the chunk's raw bytes; JSON carries it as padded standard base64.
	Data []byte `json:"data"`
	// CRC32C is the Castagnoli CRC of Data, when the sender computed one.
	CRC32C *uint32 `json:"crc32c,omitempty"`
}

// ChunkID is the identity of chunk index of file in upload fid: the UUID
// version 5 of the name "file/index" in the namespace fid.
func ChunkID(fid uuid.UUID, file int, index uint64) uuid.UUID {
	name := make([]byte, 0, 24)
	name = strconv.AppendInt(name, int64(file), 10)
	name = append(name, '/')
	name = strconv.AppendUint(name, index, 10)
	return uuid.NewSHA1(fid, name)
}

// ChunkCount is the number of chunks of a file of size bytes: ceil(size/chunkSize).
func ChunkCount(size uint64, chunkSize int) uint64 {
	if chunkSize <= 0 {
		return 0
	}
	cs := uint64(chunkSize)
	return size/cs + min(size%cs, 1)
}

// ChunkBounds returns the byte range [off, off+n) that chunk index covers in
// a file of size bytes.
func ChunkBounds(size uint64, chunkSize int, index uint64) (off uint64, n int) {
	off = index * uint64(chunkSize)
	if off >= size {
		return off, 0
	}
	return off, int(min(uint64(chunkSize), size-off))
}

// DecodeAuthentication decodes an AUTHENTICATION payload. It checks JSON
// syntax and types only; the server validates the content.
func DecodeAuthentication(payload []byte) (*Authentication, error) {
	var a Authentication
	if err := json.Unmarshal(payload, &a); err != nil {
		return nil, Errorf(CodeBadRequest, "malformed AUTHENTICATION: %v", err)
	}
	return &a, nil
}

// DecodeResponse decodes a RESPONSE payload.
func DecodeResponse(payload []byte) (*Response, error) {
	var r Response
	if !decodeResponseFast(payload, &r) {
		r = Response{}
		if err := json.Unmarshal(payload, &r); err != nil {
			return nil, fmt.Errorf("malformed RESPONSE: %w", err)
		}
	}
	if r.Response != ResponseOK && r.Response != ResponseError {
		return nil, fmt.Errorf("malformed RESPONSE: response is %q, want %q or %q", r.Response, ResponseOK, ResponseError)
	}
	return &r, nil
}

// EncodeJSON marshals a message that has no fast codec (AUTHENTICATION,
// RESPONSE, LIST, REMOVE).
func EncodeJSON(v any) ([]byte, error) { return json.Marshal(v) }

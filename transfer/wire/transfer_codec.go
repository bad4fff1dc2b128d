package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// The TRANSFER codec. Chunks dominate the traffic, so encoding and decoding
// them through reflection-based encoding/json would cap throughput. The fast
// paths below produce and accept exactly what encoding/json does: the encoder
// emits json.Marshal's bytes, and the decoder handles the plain compact form a
// hoist client sends and hands anything else (escapes, odd keys, non-ASCII,
// duplicates, ...) to encoding/json. Fuzz tests hold the two together.

// AppendTransfer appends the JSON encoding of t to dst, identical to
// json.Marshal(t), with the base64 written straight into dst.
func AppendTransfer(dst []byte, t *Transfer) []byte {
	dst = appendChunkFields(dst, t)
	dst = append(dst, `,"data":`...)
	if t.Data == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '"')
		dst = appendBase64(dst, t.Data)
		dst = append(dst, '"')
	}
	dst = appendCRC32C(dst, t)
	return append(dst, '}')
}

// appendChunkFields opens a TRANSFER object with the fields that name the
// chunk, in the order encoding/json writes them.
func appendChunkFields(dst []byte, t *Transfer) []byte {
	dst = append(dst, `{"message-id":`...)
	dst = appendJSONString(dst, t.MessageID)
	dst = append(dst, `,"chunk":`...)
	dst = appendJSONString(dst, t.Chunk)
	dst = append(dst, `,"file":`...)
	dst = strconv.AppendInt(dst, int64(t.File), 10)
	dst = append(dst, `,"index":`...)
	dst = strconv.AppendUint(dst, t.Index, 10)
	return dst
}

// appendCRC32C appends the crc32c field, if t has one.
func appendCRC32C(dst []byte, t *Transfer) []byte {
	if t.CRC32C != nil {
		dst = append(dst, `,"crc32c":`...)
		dst = strconv.AppendUint(dst, uint64(*t.CRC32C), 10)
	}
	return dst
}

// appendJSONString appends s as encoding/json would quote it.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// DecodeTransfer decodes a TRANSFER payload into t, reusing t.Data's storage
// when it is large enough. The result is what json.Unmarshal into a zero
// Transfer gives.
func DecodeTransfer(payload []byte, t *Transfer) error {
	data := t.Data[:0]
	*t = Transfer{}
	if ok := decodeTransferFast(payload, t, data); ok {
		return nil
	}
	*t = Transfer{}
	if err := json.Unmarshal(payload, t); err != nil {
		return Errorf(CodeBadRequest, "malformed TRANSFER: %v", err)
	}
	return nil
}

// decodeTransferFast parses the strict subset: one object, ASCII, known
// lowercase keys each at most once, strings without escapes, non-negative
// integers without sign, fraction or exponent. It reports false, with t in an
// unspecified state, for anything outside it.
func decodeTransferFast(p []byte, t *Transfer, data []byte) bool {
	s := scanner{p: p}
	s.space()
	if !s.eat('{') {
		return false
	}
	var seen uint8
	s.space()
	if s.eat('}') {
		return s.end()
	}
	for {
		key, ok := s.key()
		if !ok {
			return false
		}
		var bit uint8
		switch string(key) {
		case "message-id":
			bit = 1
			v, ok := s.plainString()
			if !ok {
				return false
			}
			t.MessageID = string(v)
		case "chunk":
			bit = 2
			v, ok := s.plainString()
			if !ok {
				return false
			}
			t.Chunk = string(v)
		case "file":
			bit = 4
			v, ok := s.uint(uint64(maxInt))
			if !ok {
				return false
			}
			t.File = int(v)
		case "index":
			bit = 8
			v, ok := s.uint(^uint64(0))
			if !ok {
				return false
			}
			t.Index = v
		case "data":
			bit = 16
			// No need to check for escapes or control characters: the
			// decoder accepts nothing but the base64 alphabet.
			v, ok := s.quoted()
			if !ok {
				return false
			}
			n := base64.StdEncoding.DecodedLen(len(v))
			if data == nil || cap(data) < n {
				data = make([]byte, n)
			}
			m, ok := decodeBase64(data[:n], v)
			if !ok {
				return false
			}
			t.Data = data[:m]
		case "crc32c":
			bit = 32
			v, ok := s.uint(0xFFFFFFFF)
			if !ok {
				return false
			}
			c := uint32(v)
			t.CRC32C = &c
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		if more, ok := s.next(); !more {
			return ok
		}
	}
}

// decodeResponseFast parses the answer to almost every chunk, an Ok or an
// Error naming only its message: one compact object of the keys message-id
// and response, each at most once, with plain ASCII strings. It reports
// false, with r in an unspecified state, for anything else, which
// DecodeResponse leaves to encoding/json.
func decodeResponseFast(p []byte, r *Response) bool {
	s := scanner{p: p}
	s.space()
	if !s.eat('{') {
		return false
	}
	var seenID, seenResponse bool
	for {
		key, ok := s.key()
		if !ok {
			return false
		}
		v, ok := s.plainString()
		if !ok {
			return false
		}
		switch {
		case string(key) == "message-id" && !seenID:
			seenID, r.MessageID = true, string(v)
		case string(key) == "response" && !seenResponse:
			seenResponse, r.Response = true, string(v)
		default:
			return false
		}
		if more, ok := s.next(); !more {
			return ok
		}
	}
}

const maxInt = int(^uint(0) >> 1)

type scanner struct {
	p []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.p) {
		switch s.p[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.p) && s.p[s.i] == c {
		s.i++
		return true
	}
	return false
}

// key reads an object's key (a plain string) and the colon after it,
// with the spaces around them.
func (s *scanner) key() ([]byte, bool) {
	s.space()
	k, ok := s.plainString()
	if !ok {
		return nil, false
	}
	s.space()
	if !s.eat(':') {
		return nil, false
	}
	s.space()
	return k, true
}

// next reads what follows a member's value: a comma (more), or the closing
// brace at the end of the input (ok); anything else is neither.
func (s *scanner) next() (more, ok bool) {
	s.space()
	if s.eat(',') {
		return true, true
	}
	return false, s.eat('}') && s.end()
}

func (s *scanner) end() bool {
	s.space()
	return s.i == len(s.p)
}

// plainString reads a string of printable ASCII without escapes.
func (s *scanner) plainString() ([]byte, bool) {
	v, ok := s.quoted()
	if !ok {
		return nil, false
	}
	for _, c := range v {
		if c < 0x20 || c >= 0x7f || c == '\\' {
			return nil, false
		}
	}
	return v, true
}

// quoted reads everything from a double quote to the next one, unchecked:
// the caller must refuse what a JSON string could not hold unescaped.
func (s *scanner) quoted() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	rest := s.p[s.i:]
	q := bytes.IndexByte(rest, '"')
	if q < 0 {
		return nil, false
	}
	s.i += q + 1
	return rest[:q], true
}

// uint reads a non-negative integer in canonical form no larger than limit.
func (s *scanner) uint(limit uint64) (uint64, bool) {
	start := s.i
	var v uint64
	for s.i < len(s.p) && s.p[s.i] >= '0' && s.p[s.i] <= '9' {
		d := uint64(s.p[s.i] - '0')
		if v > (limit-d)/10 {
			return 0, false
		}
		v = v*10 + d
		s.i++
	}
	n := s.i - start
	if n == 0 || (n > 1 && s.p[start] == '0') {
		return 0, false
	}
	if s.i < len(s.p) {
		switch s.p[s.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return v, true
}

// RawHeader is the JSON header line of a TRANSFER-RAW frame: a Transfer
// without Data. The chunk's bytes follow the line's '\n'.
type RawHeader struct {
	MessageID string  `json:"message-id"`
	Chunk     string  `json:"chunk"`
	File      int     `json:"file"`
	Index     uint64  `json:"index"`
	CRC32C    *uint32 `json:"crc32c,omitempty"`
}

// AppendRawTransfer appends a TRANSFER-RAW payload carrying t to dst.
func AppendRawTransfer(dst []byte, t *Transfer) []byte {
	return append(AppendRawHeader(dst, t), t.Data...)
}

// AppendRawHeader appends the header line of a TRANSFER-RAW payload carrying
// t: everything but the chunk's bytes, which follow it on the wire (see
// Writer.WriteFrameParts).
func AppendRawHeader(dst []byte, t *Transfer) []byte {
	dst = appendChunkFields(dst, t)
	dst = appendCRC32C(dst, t)
	return append(dst, "}\n"...)
}

// DecodeRawTransfer decodes a TRANSFER-RAW payload into t. t.Data aliases
// payload, so it is valid only as long as payload is.
func DecodeRawTransfer(payload []byte, t *Transfer) error {
	nl := bytes.IndexByte(payload, '\n')
	if nl < 0 {
		return Errorf(CodeBadRequest, "malformed TRANSFER-RAW: no newline after the JSON header")
	}
	// The header is a TRANSFER without data: the fast path takes it unless
	// it carries a "data" field, which encoding/json would ignore (RawHeader
	// has none) and the fast path would decode.
	*t = Transfer{}
	if decodeTransferFast(payload[:nl], t, nil) && t.Data == nil {
		t.Data = payload[nl+1:]
		return nil
	}
	var h RawHeader
	if err := json.Unmarshal(payload[:nl], &h); err != nil {
		return Errorf(CodeBadRequest, "malformed TRANSFER-RAW header: %v", err)
	}
	*t = Transfer{MessageID: h.MessageID, Chunk: h.Chunk, File: h.File, Index: h.Index, CRC32C: h.CRC32C, Data: payload[nl+1:]}
	return nil
}

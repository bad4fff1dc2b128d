package server

import (
	"encoding/json"
	"strconv"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// reply is one answer waiting in a session's writer queue.
type reply struct {
	id  string
	err *wire.Error
	// full, when set, is sent as is (the Ok to an AUTHENTICATION).
	full *wire.Response
	// chunk is set for the Ok to a TRANSFER; file, sha256 and stored
	// (the path the file got) when it completed a file.
	chunk     bool
	file      int
	index     uint64
	completed bool
	sha256    string
	stored    string
}

// appendReply appends r's JSON payload to dst. Common Oks are written
// directly; everything else goes through encoding/json. Both produce what
// json.Marshal(wire.Response) does.
func appendReply(dst []byte, r *reply) ([]byte, error) {
	if r.full == nil && r.err == nil && plainASCII(r.id) && plainASCII(r.stored) {
		dst = append(dst, `{"message-id":"`...)
		dst = append(dst, r.id...)
		dst = append(dst, `","response":"Ok"`...)
		if r.completed {
			dst = append(dst, `,"file":`...)
			dst = strconv.AppendInt(dst, int64(r.file), 10)
			dst = append(dst, `,"sha256":"`...)
			dst = append(dst, r.sha256...)
			dst = append(dst, '"')
			if r.stored != "" {
				dst = append(dst, `,"stored":"`...)
				dst = append(dst, r.stored...)
				dst = append(dst, '"')
			}
		}
		return append(dst, '}'), nil
	}
	resp := r.full
	switch {
	case resp != nil:
	case r.err != nil:
		resp = wire.ErrorResponse(r.id, r.err)
	default:
		resp = wire.OKResponse(r.id)
		if r.completed {
			f := r.file
			resp.File, resp.SHA256, resp.Stored = &f, r.sha256, r.stored
		}
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// plainASCII reports whether s needs no escaping in JSON.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// toWireError turns err into the *wire.Error to answer with.
func toWireError(err error) *wire.Error {
	if we, ok := err.(*wire.Error); ok {
		return we
	}
	return &wire.Error{Code: wire.CodeInternal, Reason: err.Error()}
}

package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// AuthenticationHead is the part of an AUTHENTICATION a server checks
// before anything else: who asks, and for which upload.
type AuthenticationHead struct {
	MessageID string `json:"message-id"`
	Token     string `json:"token"`
	FID       string `json:"fid"`
	Abort     bool   `json:"abort"`
}

// DecodeAuthenticationHead decodes only the message-id, token, fid and
// abort fields of an AUTHENTICATION payload. It walks the top-level object and skips the
// other fields' values without decoding them (so a malformed file list is
// found only by DecodeAuthenticationLimited): it allocates nothing for
// them, however long the file list, so that a server can verify the token
// before it materialises anything a stranger sent.
func DecodeAuthenticationHead(payload []byte) (*AuthenticationHead, error) {
	var h AuthenticationHead
	sc := headScanner{b: payload}
	err := sc.object(func(key string, value []byte) error {
		var dst *string
		switch {
		case strings.EqualFold(key, "abort"):
			return json.Unmarshal(value, &h.Abort)
		case strings.EqualFold(key, "message-id"):
			dst = &h.MessageID
		case strings.EqualFold(key, "token"):
			dst = &h.Token
		case strings.EqualFold(key, "fid"):
			dst = &h.FID
		default:
			return nil
		}
		return json.Unmarshal(value, dst)
	})
	if err != nil {
		return nil, Errorf(CodeBadRequest, "malformed AUTHENTICATION: %v", err)
	}
	return &h, nil
}

// headScanner walks one JSON object's top level.
type headScanner struct {
	b []byte
	i int
}

var errSyntax = errors.New("invalid JSON")

// errNotObject refuses a payload that is valid JSON but not an object, such
// as null (which encoding/json would take as an empty message).
var errNotObject = errors.New("payload is not a JSON object")

// object calls field for each member of the top-level object with the
// member's unescaped name and its value's raw bytes.
func (s *headScanner) object(field func(key string, value []byte) error) error {
	s.space()
	if !s.take('{') {
		return errNotObject
	}
	s.space()
	if s.take('}') {
		return s.end()
	}
	for {
		s.space()
		start := s.i
		if err := s.skipString(); err != nil {
			return err
		}
		var key string
		if err := json.Unmarshal(s.b[start:s.i], &key); err != nil {
			return err
		}
		s.space()
		if !s.take(':') {
			return errSyntax
		}
		s.space()
		start = s.i
		if err := s.skipValue(); err != nil {
			return err
		}
		if err := field(key, s.b[start:s.i]); err != nil {
			return err
		}
		s.space()
		if s.take('}') {
			return s.end()
		}
		if !s.take(',') {
			return errSyntax
		}
	}
}

func (s *headScanner) end() error {
	s.space()
	if s.i != len(s.b) {
		return errSyntax
	}
	return nil
}

func (s *headScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *headScanner) take(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// skipString passes a string, escapes included.
func (s *headScanner) skipString() error {
	i, ok := skipString(s.b, s.i)
	s.i = i
	if !ok {
		return errSyntax
	}
	return nil
}

// skipString returns the index just past the string that starts at b[i].
func skipString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	for i++; i < len(b); {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b), false
		}
		i += j
		// The quote ends the string unless an odd number of backslashes
		// escapes it.
		k := i
		for k > 0 && b[k-1] == '\\' {
			k--
		}
		i++
		if (i-1-k)%2 == 0 {
			return i, true
		}
	}
	return i, false
}

// skipValue passes one value: nested arrays and objects by their brackets
// (strings inside them skipped whole), scalars up to the next delimiter.
func (s *headScanner) skipValue() error {
	b, i := s.b, s.i
	if i >= len(b) {
		return errSyntax
	}
	switch b[i] {
	case '"':
		return s.skipString()
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				var ok bool
				if i, ok = skipString(b, i); !ok {
					s.i = i
					return errSyntax
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i = i + 1
					return nil
				}
			}
			i++
		}
		s.i = i
		return errSyntax
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r', ',', '}', ']':
			s.i = i
			if i == start {
				return errSyntax
			}
			return nil
		}
		i++
	}
	s.i = i
	if i == start {
		return errSyntax
	}
	return nil
}

// DecodeAuthenticationLimited decodes an AUTHENTICATION payload like
// DecodeAuthentication, with limits applied while it decodes: more than
// maxFiles files stop the decoding with a CodeTooLarge *Error, and at most
// maxTags+1 tags are kept (more than maxTags tells the caller the limit is
// passed), so the memory it takes is bounded by the limits, not by the
// payload. Field names match as encoding/json matches them.
func DecodeAuthenticationLimited(payload []byte, maxFiles, maxTags int) (*Authentication, error) {
	malformed := func(err error) error {
		return Errorf(CodeBadRequest, "malformed AUTHENTICATION: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if tok, err := dec.Token(); err != nil {
		return nil, malformed(err)
	} else if tok != json.Delim('{') {
		return nil, malformed(errNotObject)
	}
	var a Authentication
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed(err)
		}
		key, _ := tok.(string)
		switch {
		case strings.EqualFold(key, "files"):
			var files []rawFileInfo
			files, err = decodeList[rawFileInfo](dec, maxFiles, func() error {
				return Errorf(CodeTooLarge, "more than %d files in one upload", maxFiles)
			})
			a.Files = nil
			if files != nil {
				a.Files = make([]FileInfo, len(files))
			}
			for i, f := range files {
				a.Files[i].Size = f.Size
				if a.Files[i].Name, err = strictString(f.Name); err != nil {
					err = Errorf(CodeBadRequest, "file %d: name %v", i, err)
					break
				}
			}
		case strings.EqualFold(key, "tags"):
			var tags []json.RawMessage
			tags, err = decodeList[json.RawMessage](dec, maxTags+1, nil)
			a.Tags = nil
			if tags != nil {
				a.Tags = make([]string, len(tags))
			}
			for i, t := range tags {
				if a.Tags[i], err = strictString(t); err != nil {
					err = Errorf(CodeBadRequest, "tag %d %v", i, err)
					break
				}
			}
		case strings.EqualFold(key, "message-id"):
			err = dec.Decode(&a.MessageID)
		case strings.EqualFold(key, "token"):
			err = dec.Decode(&a.Token)
		case strings.EqualFold(key, "fid"):
			err = dec.Decode(&a.FID)
		case strings.EqualFold(key, "chunk-size"):
			err = dec.Decode(&a.ChunkSize)
		case strings.EqualFold(key, "abort"):
			err = dec.Decode(&a.Abort)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			if we, ok := err.(*Error); ok {
				return nil, we
			}
			return nil, malformed(err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, malformed(err)
	}
	return &a, nil
}

// rawFileInfo is a FileInfo whose name is still JSON, so that its UTF-8
// can be checked before encoding/json replaces what is invalid.
type rawFileInfo struct {
	Name json.RawMessage `json:"name"`
	Size uint64          `json:"size"`
}

// strictString decodes a JSON string (or null, as "") and refuses one that
// is not valid UTF-8: raw bytes that are not, or escapes of lone UTF-16
// surrogates, which encoding/json would silently turn into U+FFFD.
func strictString(raw json.RawMessage) (string, error) {
	if raw == nil {
		return "", nil
	}
	if !utf8.Valid(raw) {
		return "", errors.New("is not valid UTF-8")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", err
	}
	if n := strings.Count(s, "\uFFFD"); n > 0 {
		lower := bytes.ToLower(raw)
		if n > bytes.Count(raw, []byte("\uFFFD"))+bytes.Count(lower, []byte(`\ufffd`)) {
			return "", errors.New("is not valid UTF-8 (an escaped lone surrogate)")
		}
	}
	return s, nil
}

// decodeList decodes a JSON array (or null) of T, element by element. With
// more than max elements it returns tooMany(), or, if tooMany is nil, the
// first max elements after skipping the rest.
func decodeList[T any](dec *json.Decoder, max int, tooMany func() error) ([]T, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("want an array, got %v", tok)
	}
	out := []T{}
	for dec.More() {
		if len(out) == max {
			if tooMany != nil {
				return nil, tooMany()
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
			continue
		}
		var v T
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return out, nil
}

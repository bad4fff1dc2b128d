package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Limits of LIST and REMOVE.
const (
	// MaxListPaths is the most exact paths one LIST or REMOVE may name.
	MaxListPaths = 1000
	// MaxListLimit is the most files one page of a LIST holds, and the
	// page size when the request names none.
	MaxListLimit = 1000
	// MaxListTags is the most tags one LIST may filter by.
	MaxListTags = 64
	// MaxRemoveBytes bounds the bytes of all the paths of one REMOVE
	// together, so that the answer, which repeats them, fits a frame.
	MaxRemoveBytes = 1 << 20
)

// Extensions a server advertises in the Ok to an AUTHENTICATION when it
// understands LIST and REMOVE. A client need not wait for them: LIST may
// be the first frame of a connection (see List).
const (
	ExtensionList   = "list"
	ExtensionRemove = "remove"
)

// List asks for a page of the user's completed files (user type 5).
// Filters combine: a file is listed if it is under Prefix, is one of
// Paths (when Paths is not empty), and carries every tag of Tags.
type List struct {
	MessageID string `json:"message-id"`
	// Token may be empty on a connection whose user is known: one that
	// had an AUTHENTICATION, LIST or REMOVE accepted with a token, or a
	// stream served for a fixed user (hoist serve --stdio --user).
	Token string `json:"token,omitempty"`
	// Prefix selects paths that start with it, byte for byte ("a/" for
	// the directory a; "a" also matches "ab.txt").
	Prefix string `json:"prefix,omitempty"`
	// Paths, when not empty, selects exactly these paths (at most
	// MaxListPaths).
	Paths []string `json:"paths,omitempty"`
	// Tags selects files that carry all of them.
	Tags []string `json:"tags,omitempty"`
	// After is the cursor: the Next of the previous page. Only paths
	// sorting after it (in byte order) are listed.
	After string `json:"after,omitempty"`
	// Limit is the most files in the page; 0 means MaxListLimit, more is
	// capped to it.
	Limit int `json:"limit,omitempty"`
}

// Remove asks for some of the user's completed files to be deleted (user
// type 6): all of them, or, if one is not the user's file, none.
type Remove struct {
	MessageID string   `json:"message-id"`
	Token     string   `json:"token,omitempty"`
	Paths     []string `json:"paths"`
}

// ListedFile is one completed file in the Ok to a LIST.
type ListedFile struct {
	// Name is the file's path under the user's storage area, as stored
	// (the name a completion reported, which may differ from the name sent).
	Name   string    `json:"name"`
	Size   uint64    `json:"size"`
	SHA256 string    `json:"sha256"`
	Tags   []string  `json:"tags"`
	Time   time.Time `json:"time"`
}

// ServerLimits are the server's limits a client needs to shape uploads;
// the Ok to a LIST carries them.
type ServerLimits struct {
	// MaxFiles is the most files one AUTHENTICATION may announce: a client
	// splits larger trees into several uploads.
	MaxFiles int `json:"max-files"`
	// MaxFileSize is the largest file accepted, in bytes.
	MaxFileSize int64 `json:"max-file-size"`
	// MaxChunkSize is the largest chunk size the server grants.
	MaxChunkSize int `json:"max-chunk-size"`
}

// RequestHead is what a server reads of a request before it verifies the
// token: the message-id and the token, nothing else.
type RequestHead struct {
	MessageID string `json:"message-id"`
	Token     string `json:"token"`
}

// DecodeRequestHead decodes only the message-id and token of a LIST or
// REMOVE payload (what names the request in errors), skipping the other
// fields unread, like DecodeAuthenticationHead.
func DecodeRequestHead(payload []byte, what UserType) (*RequestHead, error) {
	var h RequestHead
	sc := headScanner{b: payload}
	err := sc.object(func(key string, value []byte) error {
		switch {
		case strings.EqualFold(key, "message-id"):
			return json.Unmarshal(value, &h.MessageID)
		case strings.EqualFold(key, "token"):
			return json.Unmarshal(value, &h.Token)
		}
		return nil
	})
	if err != nil {
		return nil, Errorf(CodeBadRequest, "malformed %v: %v", what, err)
	}
	return &h, nil
}

// DecodeList decodes a LIST payload. Paths and strings must be valid
// UTF-8 (escaped lone surrogates included: bad-request, never a silent
// U+FFFD); more than MaxListPaths paths is too-large, more than
// MaxListTags tags or a negative limit is bad-request. It checks no path
// rule beyond that: the server does.
func DecodeList(payload []byte) (*List, error) {
	var l List
	err := decodeObject(payload, TypeList, func(key string, dec *json.Decoder) error {
		var err error
		switch {
		case strings.EqualFold(key, "message-id"):
			err = dec.Decode(&l.MessageID)
		case strings.EqualFold(key, "token"):
			err = dec.Decode(&l.Token)
		case strings.EqualFold(key, "prefix"):
			l.Prefix, err = decodeStrictString(dec, "prefix")
		case strings.EqualFold(key, "after"):
			l.After, err = decodeStrictString(dec, "after")
		case strings.EqualFold(key, "paths"):
			l.Paths, err = decodeStrings(dec, "path", MaxListPaths, func() error {
				return Errorf(CodeTooLarge, "more than %d paths in one LIST", MaxListPaths)
			})
		case strings.EqualFold(key, "tags"):
			l.Tags, err = decodeStrings(dec, "tag", MaxListTags, func() error {
				return Errorf(CodeBadRequest, "more than %d tags in one LIST", MaxListTags)
			})
		case strings.EqualFold(key, "limit"):
			err = dec.Decode(&l.Limit)
			if err == nil && l.Limit < 0 {
				err = Errorf(CodeBadRequest, "limit %d is negative", l.Limit)
			}
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// DecodeRemove decodes a REMOVE payload: at least one path, at most
// MaxListPaths of them and MaxRemoveBytes together (too-large), each
// valid UTF-8.
func DecodeRemove(payload []byte) (*Remove, error) {
	var r Remove
	err := decodeObject(payload, TypeRemove, func(key string, dec *json.Decoder) error {
		var err error
		switch {
		case strings.EqualFold(key, "message-id"):
			err = dec.Decode(&r.MessageID)
		case strings.EqualFold(key, "token"):
			err = dec.Decode(&r.Token)
		case strings.EqualFold(key, "paths"):
			r.Paths, err = decodeStrings(dec, "path", MaxListPaths, func() error {
				return Errorf(CodeTooLarge, "more than %d paths in one REMOVE", MaxListPaths)
			})
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(r.Paths) == 0 {
		return nil, Errorf(CodeBadRequest, "REMOVE names no path")
	}
	total := 0
	for _, p := range r.Paths {
		total += len(p)
	}
	if total > MaxRemoveBytes {
		return nil, Errorf(CodeTooLarge, "the paths of one REMOVE are %d bytes together, limit %d; split the request", total, MaxRemoveBytes)
	}
	return &r, nil
}

// decodeObject walks one JSON object with encoding/json's decoder, calling
// field with each member's name and the decoder positioned on its value.
// Errors that are not *Error become bad-request.
func decodeObject(payload []byte, what UserType, field func(key string, dec *json.Decoder) error) error {
	malformed := func(err error) error {
		if we, ok := err.(*Error); ok {
			return we
		}
		return Errorf(CodeBadRequest, "malformed %v: %v", what, err)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if tok, err := dec.Token(); err != nil {
		return malformed(err)
	} else if tok != json.Delim('{') {
		return malformed(fmt.Errorf("payload is not a JSON object"))
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return malformed(err)
		}
		key, _ := tok.(string)
		if err := field(key, dec); err != nil {
			return malformed(err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed(fmt.Errorf("data after the JSON object"))
	}
	return nil
}

// decodeStrictString decodes one JSON string (or null) that must be valid
// UTF-8.
func decodeStrictString(dec *json.Decoder, what string) (string, error) {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return "", err
	}
	if bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	s, err := strictString(raw)
	if err != nil {
		return "", Errorf(CodeBadRequest, "%s %v", what, err)
	}
	return s, nil
}

// decodeStrings decodes an array (or null) of at most max strings, each
// valid UTF-8; tooMany is returned for more.
func decodeStrings(dec *json.Decoder, what string, max int, tooMany func() error) ([]string, error) {
	raws, err := decodeList[json.RawMessage](dec, max, tooMany)
	if err != nil {
		return nil, err
	}
	if raws == nil {
		return nil, nil
	}
	out := make([]string, len(raws))
	for i, raw := range raws {
		if len(raw) == 0 || raw[0] != '"' {
			return nil, Errorf(CodeBadRequest, "%s %d is not a string", what, i)
		}
		if out[i], err = strictString(raw); err != nil {
			return nil, Errorf(CodeBadRequest, "%s %d %v", what, i, err)
		}
	}
	return out, nil
}

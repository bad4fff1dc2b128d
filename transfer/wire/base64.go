package wire

import (
	"encoding/base64"
	"encoding/binary"
)

// Padded standard base64 for chunk data, two to three times faster than
// encoding/base64 and byte-for-byte the same: on the plain JSON path base64
// is most of the CPU either side spends. The encoder turns 6 bytes into 8
// characters per step through a table of every 12-bit group's two
// characters; the decoder turns 8 characters into 6 bytes per step through
// tables of pre-shifted 6-bit values, checking the whole input at once at
// the end instead of every character on the way. FuzzBase64 holds both to
// encoding/base64.

const stdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// encodePairs maps a 12-bit group to its two characters, first in the low byte.
var encodePairs = func() (t [1 << 12]uint16) {
	for i := range t {
		t[i] = uint16(stdAlphabet[i>>6]) | uint16(stdAlphabet[i&63])<<8
	}
	return t
}()

// decodeShifted[k][c] is character c's 6-bit value shifted into place k of a
// 24-bit group (k = 0 is the most significant); characters outside the
// alphabet have bit 31 set, which survives ORing the four together.
var decodeShifted = func() (t [4][256]uint32) {
	for k := range t {
		for c := range t[k] {
			t[k][c] = 1 << 31
		}
	}
	for v := range len(stdAlphabet) {
		c := stdAlphabet[v]
		for k := range t {
			t[k][c] = uint32(v) << (18 - 6*k)
		}
	}
	return t
}()

// appendBase64 appends the padded standard base64 of src to dst, exactly as
// base64.StdEncoding.AppendEncode does.
func appendBase64(dst, src []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(src))
	start := len(dst)
	if cap(dst)-start < n {
		grown := make([]byte, start, start+n)
		copy(grown, dst)
		dst = grown
	}
	out := dst[start : start+n]
	o := 0
	// 6 bytes to 8 characters, reading 8 bytes at a time: needs 2 spare.
	for len(src) >= 8 {
		v := binary.BigEndian.Uint64(src)
		binary.LittleEndian.PutUint64(out[o:],
			uint64(encodePairs[v>>52&0xfff])|
				uint64(encodePairs[v>>40&0xfff])<<16|
				uint64(encodePairs[v>>28&0xfff])<<32|
				uint64(encodePairs[v>>16&0xfff])<<48)
		src = src[6:]
		o += 8
	}
	base64.StdEncoding.Encode(out[o:], src)
	return dst[:start+n]
}

// decodeBase64 decodes padded standard base64 from src into dst, which must
// hold base64.StdEncoding.DecodedLen(len(src)) bytes. It reports false for
// anything but characters of the alphabet in groups of four with padding
// only at the end, including the line breaks encoding/base64 would skip;
// where it reports true, the bytes are those base64.StdEncoding.Decode
// gives.
func decodeBase64(dst, src []byte) (int, bool) {
	if len(src)%4 != 0 {
		return 0, false
	}
	if len(src) == 0 {
		return 0, true
	}
	// Every group but the last has no padding; the last one goes to
	// encoding/base64, which knows the rules for padding and trailing bits.
	body := src[:len(src)-4]
	var bad uint32
	o := 0
	// 8 characters to 6 bytes, writing 8 at a time: needs 2 spare in dst.
	for len(body) >= 8 && len(dst)-o >= 8 {
		a := decodeShifted[0][body[0]] | decodeShifted[1][body[1]] | decodeShifted[2][body[2]] | decodeShifted[3][body[3]]
		b := decodeShifted[0][body[4]] | decodeShifted[1][body[5]] | decodeShifted[2][body[6]] | decodeShifted[3][body[7]]
		bad |= a | b
		binary.BigEndian.PutUint64(dst[o:], uint64(a)<<40|uint64(b&0xffffff)<<16)
		body = body[8:]
		o += 6
	}
	for len(body) >= 4 {
		a := decodeShifted[0][body[0]] | decodeShifted[1][body[1]] | decodeShifted[2][body[2]] | decodeShifted[3][body[3]]
		bad |= a
		dst[o], dst[o+1], dst[o+2] = byte(a>>16), byte(a>>8), byte(a)
		body = body[4:]
		o += 3
	}
	if bad&(1<<31) != 0 {
		return 0, false
	}
	last := src[len(src)-4:]
	for _, c := range last {
		if c == '\r' || c == '\n' {
			return 0, false
		}
	}
	m, err := base64.StdEncoding.Decode(dst[o:], last)
	if err != nil {
		return 0, false
	}
	return o + m, true
}

package wire

import "github.com/segmentio/asm/base64"

// Padded standard base64 for chunk data. On the plain JSON path base64 is
// most of the CPU either side spends, so it goes through segmentio/asm's
// SIMD codec (AVX2 on amd64, about five times encoding/base64's speed; it
// falls back to portable code elsewhere), which produces and accepts what
// encoding/base64 does. FuzzBase64 holds it to encoding/base64.

// appendBase64 appends the padded standard base64 of src to dst, exactly as
// encoding/base64's StdEncoding.AppendEncode does.
func appendBase64(dst, src []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(src))
	start := len(dst)
	if cap(dst)-start < n {
		grown := make([]byte, start, start+n)
		copy(grown, dst)
		dst = grown
	}
	base64.StdEncoding.Encode(dst[start:start+n], src)
	return dst[:start+n]
}

// decodeBase64 decodes padded standard base64 from src into dst, which must
// hold DecodedLen(len(src)) bytes. It reports false for any input
// encoding/base64 refuses and also for line breaks, which encoding/base64
// skips but a JSON string cannot hold unescaped; where it reports true, the
// bytes are those encoding/base64 gives.
func decodeBase64(dst, src []byte) (int, bool) {
	if len(src)%4 != 0 {
		return 0, false
	}
	n, err := base64.StdEncoding.Decode(dst, src)
	if err != nil {
		return 0, false
	}
	// A skipped line break would leave an incomplete group unless four or
	// more were skipped, so the output would come up at least three bytes
	// short of what the input's length promises: checking the length
	// finds them without scanning for them.
	want := len(src) / 4 * 3
	if len(src) > 0 && src[len(src)-1] == '=' {
		want--
		if src[len(src)-2] == '=' {
			want--
		}
	}
	return n, n == want
}

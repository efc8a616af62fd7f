package smtp

import (
	"encoding/base64"
	"mime"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Header fields are folded at spaces (RFC 5322 §2.2.3) so that lines keep
// to 78 octets where they can (§2.1.1 SHOULD), and never pass 998 (MUST).
// A fold goes only where one space stands between two other characters:
// unfolding (net/mail's included) then gives back the value as it was,
// where a fold inside a run of spaces would shrink the run. A text value
// that still cannot fit, one unbroken word of 990 octets, goes out as RFC
// 2047 encoded-words, which fold between themselves and decode to the
// value.

// maxLine is where header fields are folded.
const maxLine = 78

// appendHeader appends "Name: value" folded as above and tells whether
// every line kept within maxLineOctets. value holds no CR or LF (it
// passed CheckEmailContent).
func appendHeader(b []byte, name, value string) ([]byte, bool) {
	b = append(b, name...)
	b = append(b, ": "...)
	col, ok := len(name)+2, true
	for start := 0; start < len(value); {
		end := nextFold(value, start)
		piece := value[start:end]
		if start > 0 {
			if col+1+len(piece) > maxLine {
				b = append(b, "\r\n "...)
				col = 1
			} else {
				b = append(b, ' ')
				col++
			}
		}
		b = append(b, piece...)
		col += len(piece)
		ok = ok && col <= maxLineOctets
		start = end + 1
	}
	return append(b, "\r\n"...), ok
}

// nextFold returns the index of the first space after from that may
// become a fold, or len(s).
func nextFold(s string, from int) int {
	for i := from + 1; i < len(s)-1; {
		j := strings.IndexByte(s[i:len(s)-1], ' ')
		if j < 0 {
			break
		}
		i += j
		if !isWSP(s[i-1]) && !isWSP(s[i+1]) {
			return i
		}
		i++
	}
	return len(s)
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

// appendText appends an unstructured field (a subject, an extra header):
// as it is when ASCII, else in encoded-words; in encoded-words too when it
// cannot fold into lines of at most maxLineOctets.
func appendText(b []byte, name, value string) []byte {
	mark := len(b)
	b, ok := appendHeader(b, name, mime.QEncoding.Encode("utf-8", value))
	if !ok {
		b, _ = appendHeader(b[:mark], name, encodeAll(value))
	}
	return b
}

// appendAddress appends an address field, its display name in
// encoded-words when the field could not fold otherwise (a phrase may be
// encoded-words, RFC 2047 §5).
func appendAddress(b []byte, name string, a *mail.Address) []byte {
	mark := len(b)
	b, ok := appendHeader(b, name, a.String())
	if !ok && a.Name != "" {
		b, _ = appendHeader(b[:mark], name, encodeAll(a.Name)+" <"+a.Address+">")
	}
	return b
}

// encodedChunk is how many octets of text one encoded-word carries: 45
// make 60 of base64, a word of 72 with its delimiters (at most 75, RFC
// 2047 §2).
const encodedChunk = 45

// encodeAll encodes s as base64 encoded-words, whatever it holds, each
// word made of whole characters (RFC 2047 §5).
func encodeAll(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		n := min(len(s), encodedChunk)
		for n > 1 && n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("=?utf-8?b?")
		b.WriteString(base64.StdEncoding.EncodeToString([]byte(s[:n])))
		b.WriteString("?=")
		s = s[n:]
	}
	return b.String()
}

package smtp

import (
	"bytes"
	"strings"
)

// Body parts go out in the lightest Content-Transfer-Encoding (RFC 2045
// §6) that carries them: 7bit when the text is ASCII with lines SMTP
// accepts, else quoted-printable. Both are written by hand rather than
// through mime/quotedprintable.Writer: this is the hot path of a send, and
// the standard writer moves the body one byte and one call at a time.

const (
	// maxQPLine is the longest quoted-printable line, its soft line break
	// "=" included (RFC 2045 §6.7 rule 5).
	maxQPLine = 76
	// maxLineOctets is the longest line SMTP carries, CRLF excluded
	// (RFC 5321 §4.5.3.1.6).
	maxLineOctets = 998
)

// appendBody appends the content headers and the body made of pieces, one
// text split in several strings so that it need not be joined first. A
// 7bit body that contains the boundary of its multipart goes
// quoted-printable instead: a line of it could end the part.
func appendBody(b []byte, contentType, boundary string, pieces ...string) []byte {
	b = append(b, "Content-Type: "...)
	b = append(b, contentType...)
	b = append(b, "; charset=utf-8\r\nContent-Transfer-Encoding: "...)
	mark := len(b)
	if is7bit(pieces) {
		b = append(b, "7bit\r\n\r\n"...)
		start := len(b)
		var w crlfWriter
		for _, p := range pieces {
			b = w.append(b, p)
		}
		text := b[start:]
		if shortLines(text) && (boundary == "" || !bytes.Contains(text, []byte(boundary))) {
			return b
		}
		b = b[:mark]
	}
	b = append(b, "quoted-printable\r\n\r\n"...)
	var e qpEncoder
	for _, p := range pieces {
		b = e.append(b, p)
	}
	return e.close(b)
}

// is7bit reports whether pieces hold only ASCII octets other than NUL, as
// 7bit data must (RFC 2045 §2.7); line lengths are checked on the output.
func is7bit(pieces []string) bool {
	for _, s := range pieces {
		i := 0
		for ; i+8 <= len(s); i += 8 {
			if w := load64(s, i); (w|zeroBytes(w))&hiBits != 0 {
				return false
			}
		}
		for ; i < len(s); i++ {
			if s[i]-1 >= 0x7f { // NUL wraps around to 0xff
				return false
			}
		}
	}
	return true
}

// shortLines reports whether every CRLF-terminated line of text, and its
// unterminated tail, is at most maxLineOctets long.
func shortLines(text []byte) bool {
	for len(text) > maxLineOctets {
		i := bytes.IndexByte(text[:min(len(text), maxLineOctets+2)], '\n')
		if i < 0 {
			return false
		}
		text = text[i+1:]
	}
	return true
}

// crlfWriter copies text with each line break, CRLF, CR alone or LF alone,
// written as CRLF. It keeps the state a CRLF split between two pieces
// needs.
type crlfWriter struct {
	cr bool // the last octet written was a CR: an LF right after it is its pair
}

func (w *crlfWriter) append(b []byte, s string) []byte {
	if s == "" {
		return b
	}
	if w.cr && s[0] == '\n' {
		s = s[1:]
	}
	w.cr = false
	hasCR := strings.IndexByte(s, '\r') >= 0
	for s != "" {
		var i int
		if hasCR {
			i = strings.IndexAny(s, "\r\n")
		} else {
			i = strings.IndexByte(s, '\n')
		}
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i]...)
		b = append(b, '\r', '\n')
		if s[i] == '\r' {
			if i+1 == len(s) {
				w.cr = true
			} else if s[i+1] == '\n' {
				i++
			}
		}
		s = s[i+1:]
	}
	return b
}

// qpEncoder writes quoted-printable (RFC 2045 §6.7) in text mode. Every
// line break of the input, CRLF, CR alone or LF alone, is a hard line
// break (CRLF); lines are at most maxQPLine characters long; "=", octets
// other than printable ASCII, and a space or tab that would end a line are
// escaped, and so is a dot that starts a line. Its output is that of
// mime/quotedprintable.Writer, except for that dot and that a CR alone
// followed by escaped octets and an LF makes two line breaks there, as it
// does everywhere else, not one.
type qpEncoder struct {
	col int  // characters on the current output line
	cr  bool // the last input octet was a CR: an LF right after it is its pair
}

// append appends the encoding of s, which continues what came before.
func (e *qpEncoder) append(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isQPLiteral(c):
			if e.col == maxQPLine-1 {
				b = append(b, "=\r\n"...)
				e.col = 0
			}
			if e.col == 0 && c == '.' {
				// A line that starts with a dot would have SMTP's
				// dot-stuffing double it on the wire (see
				// writeContent): escaped, the message goes out as is.
				b = e.escape(b, c)
				e.cr = false
				i++
				continue
			}
			// Copy at once the run of literal octets that fits the line.
			j := i + literalRun(s[i:min(len(s), i+maxQPLine-1-e.col)])
			b = append(b, s[i:j]...)
			e.col += j - i
			e.cr = false
			i = j
			continue
		case c == '\n' && e.cr:
			// The LF of a CRLF: the break is written.
		case c == '\r' || c == '\n':
			b = e.endLine(b)
			b = append(b, '\r', '\n')
			e.col = 0
		default:
			b = e.escape(b, c)
		}
		e.cr = c == '\r'
		i++
	}
	return b
}

// close ends the encoding.
func (e *qpEncoder) close(b []byte) []byte {
	return e.endLine(b)
}

// endLine escapes a space or tab that ends the line: it would not survive
// transport (RFC 2045 §6.7 rule 3).
func (e *qpEncoder) endLine(b []byte) []byte {
	if e.col == 0 {
		return b
	}
	if c := b[len(b)-1]; c == ' ' || c == '\t' {
		e.col--
		return e.escape(b[:len(b)-1], c)
	}
	return b
}

// escape writes c as "=XX", after a soft line break if it would not fit.
func (e *qpEncoder) escape(b []byte, c byte) []byte {
	const hex = "0123456789ABCDEF"
	if e.col > maxQPLine-1-3 {
		b = append(b, "=\r\n"...)
		e.col = 0
	}
	e.col += 3
	return append(b, '=', hex[c>>4], hex[c&0x0f])
}

// isQPLiteral reports whether c is written as itself: printable ASCII
// other than "=", space and tab.
func isQPLiteral(c byte) bool {
	return c >= '!' && c <= '~' && c != '=' || c == ' ' || c == '\t'
}

// literalRun returns the length of the run of octets at the start of s
// that are written as themselves. It tests eight octets at a time: most of
// a body is literal.
func literalRun(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		// Space to "~" but "=": a tab or anything else ends the word.
		w := load64(s, i)
		eq := w ^ (loBits * '=')
		if ((w-loBits*' ')&^w|(w+loBits)|w|zeroBytes(eq))&hiBits != 0 {
			break
		}
	}
	for i < len(s) && isQPLiteral(s[i]) {
		i++
	}
	return i
}

// Word-at-a-time octet tests: a word has an octet below n when
// (w-loBits*n)&^w&hiBits != 0 (n <= 0x80), one above 0x7e when
// ((w+loBits)|w)&hiBits != 0, a zero octet when zeroBytes(w) != 0.
const (
	loBits = 0x0101010101010101
	hiBits = 0x8080808080808080
)

// zeroBytes has the high bit of some octet set when w has a zero octet.
func zeroBytes(w uint64) uint64 { return (w - loBits) &^ w & hiBits }

// load64 reads the eight octets of s at i as a little-endian word.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

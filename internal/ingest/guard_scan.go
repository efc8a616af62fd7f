package ingest

import (
	"bytes"
	"unicode/utf8"
)

// csvState is where a scan of CSV text stands, the way encoding/csv reads
// it: a quote opens a quoted field only at the start of a field, a quoted
// field may hold newlines, and a record ends at a newline outside one.
type csvState uint8

const (
	atFieldStart csvState = iota
	inField               // an unquoted field
	inQuotes              // a quoted field
	afterQuote            // a quote inside a quoted field: the next byte tells
	afterQuoteCR          // that quote then \r: a \n ends the record
	inBadLine             // encoding/csv refused the line: it ends the record
)

// csvScanner follows records through CSV text fed to it a piece at a time.
type csvScanner struct {
	delim []byte // the delimiter, UTF-8 encoded
	lazy  bool
	st    csvState
}

func newCSVScanner(delim rune, lazy bool) csvScanner {
	return csvScanner{delim: utf8.AppendRune(nil, delim), lazy: lazy}
}

// line scans b, a piece of one line with its newline (if it has one)
// last, and reports whether a record ends at that newline.
func (s *csvScanner) line(b []byte) (recordEnds bool) {
	nl := len(b) > 0 && b[len(b)-1] == '\n'
	if nl {
		b = b[:len(b)-1]
	}
	for i := 0; i < len(b); {
		switch s.st {
		case atFieldStart, inField:
			// The common case, no quote on the rest of the line, costs one
			// vectorised search.
			q := bytes.IndexByte(b[i:], '"')
			if q < 0 {
				i = len(b)
				s.st = inField
				break
			}
			q += i
			// (A delimiter split across two pieces of a very long line
			// goes unseen: the quote is then taken as a bare one.)
			if (q == i && s.st == atFieldStart) || bytes.HasSuffix(b[:q], s.delim) {
				s.st = inQuotes
			} else if s.lazy {
				s.st = inField // a bare quote, kept
			} else {
				s.st = inBadLine // a bare quote, refused
			}
			i = q + 1
		case inQuotes:
			q := bytes.IndexByte(b[i:], '"')
			if q < 0 {
				i = len(b)
				break
			}
			i += q + 1
			s.st = afterQuote
		case afterQuoteCR:
			// Not \r\n: the \r is text (lazy quotes) or an error.
			if s.lazy {
				s.st = inQuotes // and b[i] is read again there
			} else {
				s.st = inBadLine
			}
		case afterQuote:
			switch c := b[i]; {
			case c == '"':
				s.st = inQuotes // a doubled quote
			case bytes.HasPrefix(b[i:], s.delim):
				s.st = atFieldStart
				i += len(s.delim) - 1
			case c == '\r':
				s.st = afterQuoteCR
			case s.lazy:
				s.st = inQuotes // a lone quote is kept
			default:
				s.st = inBadLine
			}
			i++
		case inBadLine:
			i = len(b)
		}
	}
	if !nl {
		return false
	}
	if s.st == inQuotes {
		return false // the newline is part of the field
	}
	s.st = atFieldStart
	return true
}

package audience

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The lexer of the text syntax, and its errors: ParseText (text_parse.go)
// parses the tokens it returns.

// SyntaxError says where a query's text (or JSON) cannot be read. Pos is a
// byte offset; Line and Col count from 1, Col in characters. Line is 0
// when the position is unknown.
type SyntaxError struct {
	Pos       int
	Line, Col int
	Msg       string
}

// Error prints the message after its line and column.
func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// newSyntaxError locates byte offset pos of src.
func newSyntaxError[S string | []byte](src S, pos int, msg string) *SyntaxError {
	pos = min(max(pos, 0), len(src))
	line, start := 1, 0
	for i := 0; i < pos; i++ {
		if src[i] == '\n' {
			line, start = line+1, i+1
		}
	}
	return &SyntaxError{Pos: pos, Line: line, Col: utf8.RuneCount([]byte(src[start:pos])) + 1, Msg: msg}
}

type tokKind int

const (
	tEOF    tokKind = iota
	tIdent          // country, and, exists
	tQuoted         // `odd name`: a name in backticks
	tWord           // 90d, 15min: a bare word starting with a digit
	tNumber         // -12.5e3
	tString         // "text"
	tParam          // $name
	tPunct          // ( ) , . = != < <= > >=
)

type textToken struct {
	kind tokKind
	val  string // decoded for strings, names and params
	pos  int
	end  int
	src  string // as written
}

func (t textToken) describe() string {
	switch t.kind {
	case tEOF:
		return "end of the query"
	case tString:
		return "string " + shortSrc(t.src)
	case tNumber:
		return "number " + shortSrc(t.src)
	}
	return strconv.Quote(shortText(t.src))
}

func shortSrc(s string) string {
	if len(s) > 40 {
		return s[:37] + "…"
	}
	return s
}

func shortText(s string) string {
	if len(s) > 40 {
		return strings.ToValidUTF8(s[:37], "") + "…"
	}
	return s
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// lexText splits the text into tokens, ending with tEOF.
func lexText(s string) ([]textToken, error) {
	var toks []textToken
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
		if i >= len(s) {
			return append(toks, textToken{kind: tEOF, pos: i, end: i}), nil
		}
		start := i
		c := s[i]
		var t textToken
		switch {
		case isIdentStart(c):
			for i < len(s) && isIdentChar(s[i]) {
				i++
			}
			t = textToken{kind: tIdent, val: s[start:i]}
		case isASCIIDigit(c) || c == '-' && i+1 < len(s) && isASCIIDigit(s[i+1]):
			end, word, err := lexNumber(s, i)
			if err != nil {
				return nil, err
			}
			i = end
			t = textToken{kind: tNumber, val: s[start:i]}
			if word {
				t.kind = tWord
			}
		case c == '"' || c == '`':
			val, end, err := lexQuoted(s, i)
			if err != nil {
				return nil, err
			}
			i = end
			t = textToken{kind: tString, val: val}
			if c == '`' {
				t.kind = tQuoted
			}
		case c == '$':
			val, end, err := lexParam(s, i)
			if err != nil {
				return nil, err
			}
			i = end
			t = textToken{kind: tParam, val: val}
		case c == '!' || c == '<' || c == '>':
			i++
			if i < len(s) && s[i] == '=' {
				i++
			} else if c == '!' {
				return nil, newSyntaxError(s, start, "unexpected \"!\": did you mean \"!=\"?")
			}
			t = textToken{kind: tPunct, val: s[start:i]}
		case strings.IndexByte("(),.=", c) >= 0:
			i++
			t = textToken{kind: tPunct, val: s[start:i]}
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			msg := fmt.Sprintf("unexpected character %q", r)
			if c == '\'' {
				msg += ": strings take double quotes"
			}
			return nil, newSyntaxError(s, start, msg)
		}
		t.pos, t.end, t.src = start, i, s[start:i]
		toks = append(toks, t)
	}
}

// lexParam reads a parameter at s[i:]: "$" then a name, bare or in
// backticks.
func lexParam(s string, i int) (name string, end int, err error) {
	start := i
	i++
	switch {
	case i < len(s) && s[i] == '`':
		if name, i, err = lexQuoted(s, i); err != nil {
			return "", 0, err
		}
	case i < len(s) && isIdentChar(s[i]):
		for i < len(s) && isIdentChar(s[i]) {
			i++
		}
		name = s[start+1 : i]
	default:
		return "", 0, newSyntaxError(s, start, "expected a parameter name after \"$\"")
	}
	if name == "" {
		return "", 0, newSyntaxError(s, start, "a parameter needs a name")
	}
	return name, i, nil
}

// lexNumber reads a JSON number at s[i:], or a bare word such as 90d when
// digits run straight into letters.
func lexNumber(s string, i int) (end int, word bool, err error) {
	start := i
	plain := true // digits only so far: may still turn out to be a word
	if s[i] == '-' {
		i++
		plain = false
	}
	digits := i
	for i < len(s) && isASCIIDigit(s[i]) {
		i++
	}
	intEnd := i
	if i < len(s) && s[i] == '.' && i+1 < len(s) && isASCIIDigit(s[i+1]) {
		i += 2
		for i < len(s) && isASCIIDigit(s[i]) {
			i++
		}
		plain = false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isASCIIDigit(s[j]) {
			for j < len(s) && isASCIIDigit(s[j]) {
				j++
			}
			i = j
			plain = false
		}
	}
	if i < len(s) && isIdentChar(s[i]) {
		if !plain {
			for i < len(s) && isIdentChar(s[i]) {
				i++
			}
			return 0, false, newSyntaxError(s, start, fmt.Sprintf("invalid number %q", s[start:i]))
		}
		for i < len(s) && isIdentChar(s[i]) {
			i++
		}
		return i, true, nil
	}
	if intEnd-digits > 1 && s[digits] == '0' {
		return 0, false, newSyntaxError(s, start, fmt.Sprintf("invalid number %q: no leading zeros", s[start:i]))
	}
	return i, false, nil
}

// lexQuoted reads a string in double quotes or a name in backticks at
// s[i:] with the escapes \" \` \\ \n \t \r and \uXXXX.
func lexQuoted(s string, i int) (val string, end int, err error) {
	q := s[i]
	start := i
	i++
	var b strings.Builder
	for {
		if i >= len(s) {
			return "", 0, newSyntaxError(s, start, "unterminated "+quotedKind(q))
		}
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\n':
			return "", 0, newSyntaxError(s, start, "unterminated "+quotedKind(q)+" (write a line break as \\n)")
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", 0, newSyntaxError(s, start, "unterminated "+quotedKind(q))
		}
		switch e := s[i+1]; e {
		case '"', '`', '\\':
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'u':
			if i+6 > len(s) {
				return "", 0, newSyntaxError(s, i, "\\u needs four hex digits")
			}
			r, perr := strconv.ParseUint(s[i+2:i+6], 16, 32)
			if perr != nil {
				return "", 0, newSyntaxError(s, i, "\\u needs four hex digits")
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			return "", 0, newSyntaxError(s, i, fmt.Sprintf("unknown escape \\%c (use \\\" \\\\ \\n \\t \\r or \\uXXXX)", e))
		}
		i += 2
	}
}

func quotedKind(q byte) string {
	if q == '`' {
		return "name in backticks"
	}
	return "string"
}

// hardKeywords cannot start a path unquoted; the rest of the syntax's
// words are keywords only where they are expected.
var hardKeywords = []string{"and", "or", "not", "in", "all", "true", "false", "null"}

func isHardKeyword(s string) bool {
	for _, k := range hardKeywords {
		if strings.EqualFold(s, k) {
			return true
		}
	}
	return false
}

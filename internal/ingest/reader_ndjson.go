package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// NDJSONReader reads a file of JSON objects, one per line. It implements
// Reader.
type NDJSONReader struct {
	br      *bufio.Reader
	columns []string
	pos     map[string]int
	line    int64
	max     int
	long    []byte // holds a line that outgrew the bufio buffer
	rec     Record
	eof     bool
}

// NewNDJSONReader returns a reader of r whose records are aligned with
// columns. Blank lines are skipped; a key that columns does not name
// rejects its line, and so does a line longer than maxLine bytes (0 means
// DefaultMaxLine), which is read to its end without being kept.
func NewNDJSONReader(r io.Reader, columns []string, maxLine int) *NDJSONReader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	pos := make(map[string]int, len(columns))
	for i, c := range columns {
		if _, dup := pos[c]; !dup {
			pos[c] = i
		}
	}
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(r, 256<<10)
	}
	return &NDJSONReader{
		br:      br,
		columns: columns,
		pos:     pos,
		max:     maxLine,
		rec: Record{
			Values:  make([]any, len(columns)),
			Missing: make([]bool, len(columns)),
		},
	}
}

// Next returns the next record, a *Reject for a line that is not a JSON
// object or names an unknown column, or io.EOF at the end. The returned
// Record and its slices are reused by the following call; the values in it
// are not and may be kept.
func (n *NDJSONReader) Next() (*Record, *Reject, error) {
	for {
		line, tooLong, err := n.readLine()
		if err != nil {
			return nil, nil, err
		}
		if tooLong {
			return nil, &Reject{Line: n.line, Reason: "line longer than " + FormatSize(int64(n.max)) + " (the limit on a line); skipped"}, nil
		}
		line = trimJSONSpace(line)
		if len(line) == 0 {
			continue
		}
		if rj := n.parse(line); rj != nil {
			return nil, rj, nil
		}
		n.rec.Line = n.line
		return &n.rec, nil, nil
	}
}

// readLine returns the next line without its newline. The slice is valid
// until the next call.
func (n *NDJSONReader) readLine() (line []byte, tooLong bool, err error) {
	if n.eof {
		return nil, false, io.EOF
	}
	n.line++
	b, err := n.br.ReadSlice('\n')
	if err == nil && len(b) <= n.max+1 {
		return b[:len(b)-1], false, nil
	}
	if err == nil {
		return nil, true, nil
	}
	if errors.Is(err, io.EOF) {
		n.eof = true
		if len(b) == 0 {
			return nil, false, io.EOF
		}
		return b, len(b) > n.max, nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return nil, false, fmt.Errorf("read ndjson line %d: %w", n.line, err)
	}
	n.long = append(n.long[:0], b...)
	if len(b) > n.max {
		tooLong, n.long = true, n.long[:0]
	}
	for {
		b, err = n.br.ReadSlice('\n')
		if len(n.long)+len(b) > n.max+1 {
			tooLong = true
			n.long = n.long[:0]
		}
		if !tooLong {
			n.long = append(n.long, b...)
		}
		switch {
		case err == nil:
			if tooLong {
				return nil, true, nil
			}
			return n.long[:len(n.long)-1], false, nil
		case errors.Is(err, io.EOF):
			n.eof = true
			return n.long, tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return nil, false, fmt.Errorf("read ndjson line %d: %w", n.line, err)
		}
	}
}

// parse fills n.rec from one non-blank line. It validates the whole line
// first, so the scanner below may assume well-formed JSON.
func (n *NDJSONReader) parse(line []byte) *Reject {
	valid := utf8.Valid(line)
	if !json.Valid(line) {
		reason := "invalid JSON: " + jsonSyntaxReason(line)
		if !valid {
			reason = invalidUTF8(line).Error() + " in the line"
		}
		return &Reject{Line: n.line, Value: clipValue(string(line)), Reason: reason}
	}
	if line[0] != '{' {
		return &Reject{Line: n.line, Value: clipValue(string(line)), Reason: "not a JSON object"}
	}
	for i := range n.rec.Values {
		n.rec.Values[i] = nil
		n.rec.Missing[i] = true
	}
	p := 1
	for {
		p = skipJSONSpace(line, p)
		if line[p] == '}' {
			return nil
		}
		if line[p] == ',' {
			p = skipJSONSpace(line, p+1)
		}
		// Key.
		end := jsonStringEnd(line, p)
		rawKey := line[p:end]
		p = skipJSONSpace(line, end)
		p = skipJSONSpace(line, p+1) // ':'
		idx, ok := n.lookup(rawKey)
		if !ok {
			return &Reject{Line: n.line, Column: unquoteJSONString(rawKey), Reason: "unknown column"}
		}
		if !n.rec.Missing[idx] {
			return &Reject{Line: n.line, Column: n.columns[idx], Reason: "key appears twice"}
		}
		n.rec.Missing[idx] = false
		start := p
		n.rec.Values[idx], p = decodeJSONAt(line, p)
		// encoding/json would quietly replace bytes that are not UTF-8 in
		// an object or array; the converters check a string themselves.
		if !valid && line[start] != '"' && !utf8.Valid(line[start:p]) {
			return &Reject{Line: n.line, Column: n.columns[idx], Value: clipValue(string(line[start:p])), Reason: invalidUTF8(line[start:p]).Error()}
		}
	}
}

func (n *NDJSONReader) lookup(rawKey []byte) (int, bool) {
	inner := rawKey[1 : len(rawKey)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		i, ok := n.pos[string(inner)] // no allocation: map index by converted bytes
		return i, ok
	}
	i, ok := n.pos[unquoteJSONString(rawKey)]
	return i, ok
}

// decodeJSONAt decodes the valid JSON value starting at b[p] the way a
// json.Decoder with UseNumber would, and returns it with the index just past
// it. Validation is done once per line by json.Valid, so this skips it.
func decodeJSONAt(b []byte, p int) (any, int) {
	switch b[p] {
	case 'n':
		return nil, p + 4
	case 't':
		return true, p + 4
	case 'f':
		return false, p + 5
	case '"':
		end := jsonStringEnd(b, p)
		s := b[p:end]
		if bytes.IndexByte(s, '\\') < 0 {
			return string(s[1 : len(s)-1]), end
		}
		return unquoteJSONString(s), end
	case '{':
		m := map[string]any{}
		p = skipJSONSpace(b, p+1)
		for b[p] != '}' {
			end := jsonStringEnd(b, p)
			key := b[p:end]
			var k string
			if bytes.IndexByte(key, '\\') < 0 {
				k = string(key[1 : len(key)-1])
			} else {
				k = unquoteJSONString(key)
			}
			p = skipJSONSpace(b, end)
			p = skipJSONSpace(b, p+1) // ':'
			var v any
			v, p = decodeJSONAt(b, p)
			m[k] = v
			p = skipJSONSpace(b, p)
			if b[p] == ',' {
				p = skipJSONSpace(b, p+1)
			}
		}
		return m, p + 1
	case '[':
		a := []any{}
		p = skipJSONSpace(b, p+1)
		for b[p] != ']' {
			var v any
			v, p = decodeJSONAt(b, p)
			a = append(a, v)
			p = skipJSONSpace(b, p)
			if b[p] == ',' {
				p = skipJSONSpace(b, p+1)
			}
		}
		return a, p + 1
	default:
		end := jsonValueEnd(b, p)
		return json.Number(b[p:end]), end
	}
}

// unquoteJSONString decodes a valid quoted JSON string.
func unquoteJSONString(raw []byte) string {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return string(raw)
	}
	return s
}

// jsonSyntaxReason explains why line is not valid JSON.
func jsonSyntaxReason(line []byte) string {
	var v any
	err := json.Unmarshal(line, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error() + " at byte " + strconv.FormatInt(se.Offset, 10)
	}
	if err != nil {
		return err.Error()
	}
	return "malformed"
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func trimJSONSpace(b []byte) []byte {
	for len(b) > 0 && isJSONSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isJSONSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func skipJSONSpace(b []byte, p int) int {
	for p < len(b) && isJSONSpace(b[p]) {
		p++
	}
	return p
}

// jsonStringEnd returns the index just past the string starting at b[p]
// (which is '"').
func jsonStringEnd(b []byte, p int) int {
	for i := p + 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// jsonValueEnd returns the index just past the valid JSON value starting at
// b[p].
func jsonValueEnd(b []byte, p int) int {
	switch b[p] {
	case '"':
		return jsonStringEnd(b, p)
	case '{', '[':
		depth := 0
		for i := p; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = jsonStringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	default:
		i := p
		for i < len(b) && !isJSONSpace(b[i]) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
			i++
		}
		return i
	}
}

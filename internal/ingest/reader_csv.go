package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CSVOptions configures a CSV reader.
type CSVOptions struct {
	// Delimiter separates fields; zero means a comma.
	Delimiter rune
	// Quote must be zero or '"': encoding/csv supports no other quote
	// character, and NewCSVReader refuses any other.
	Quote rune
	// LazyQuotes accepts a quote in an unquoted field and a non-doubled
	// quote in a quoted field instead of rejecting the record.
	LazyQuotes bool
	// MaxRecord is the longest record in bytes (quoted newlines included);
	// a longer one is rejected and skipped without being held in memory.
	// 0 means DefaultMaxLine.
	MaxRecord int
}

// CSVReader reads a CSV file whose first row names the columns. It
// implements Reader.
type CSVReader struct {
	r      *csv.Reader
	guard  *recordGuard
	max    int
	header []string
	// index[i] is the file field that holds bound column i, or -1 when the
	// file has no such column.
	index   []int
	unknown []string
	absent  []string
	rec     Record
	// offset is how many more lines the file has than encoding/csv saw
	// before the current record: skipped records count as one line there.
	offset int64
	// held is a record read past a skipped one, returned after it.
	held *heldRead
}

// heldRead is one result of csv.Reader.Read kept for the next call.
type heldRead struct {
	fields []string
	err    error
}

// NewCSVReader reads the header row of r and returns a reader for the rows
// that follow, bound to the header's own columns until Bind is called. A
// UTF-8 byte order mark and spaces around header names are removed.
func NewCSVReader(r io.Reader, opts CSVOptions) (*CSVReader, error) {
	delim := opts.Delimiter
	if delim == 0 {
		delim = ','
	}
	if opts.Quote != 0 && opts.Quote != '"' {
		return nil, fmt.Errorf("csv quote %q is not supported: only '\"' is", opts.Quote)
	}
	if delim == '"' || delim == '\r' || delim == '\n' || delim == utf8.RuneError || !utf8.ValidRune(delim) {
		return nil, fmt.Errorf("csv delimiter %q is not allowed", delim)
	}
	max := opts.MaxRecord
	if max <= 0 {
		max = DefaultMaxLine
	}
	guard := newRecordGuard(r, max, delim, opts.LazyQuotes)
	cr := csv.NewReader(guard)
	cr.Comma = delim
	cr.LazyQuotes = opts.LazyQuotes
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1 // the header is read free-form, then pinned below
	fields, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("csv file is empty: want a header row naming the columns")
		}
		return nil, fmt.Errorf("read csv header: %w", err)
	}
	if line, _ := cr.FieldPos(0); len(guard.skipped) > 0 && guard.skipped[0].csvLine < int64(line) {
		return nil, fmt.Errorf("line 1: the header is longer than %s (the limit on a line)", FormatSize(int64(max)))
	}
	header := make([]string, len(fields))
	for i, f := range fields {
		if i == 0 {
			f = strings.TrimPrefix(f, "\uFEFF")
		}
		header[i] = strings.TrimSpace(f)
	}
	cr.FieldsPerRecord = len(header)
	c := &CSVReader{r: cr, guard: guard, max: max, header: header}
	c.bindIdentity()
	return c, nil
}

func (c *CSVReader) bindIdentity() {
	c.index = make([]int, len(c.header))
	for i := range c.index {
		c.index[i] = i
	}
	c.rec.Values = make([]any, len(c.header))
	c.unknown, c.absent = nil, nil
}

// Header returns the column names of the header row, trimmed.
func (c *CSVReader) Header() []string { return c.header }

// Bind makes Next return values aligned with columns. Header columns that
// are not in columns are skipped and listed by Unknown; columns the header
// lacks read as "" and are listed by Absent. Deciding whether either is an
// error is the caller's job. Bind fails when a header name is empty or
// repeated, or when columns repeats a name.
func (c *CSVReader) Bind(columns []string) error {
	pos := make(map[string]int, len(c.header))
	for i, h := range c.header {
		if h == "" {
			return fmt.Errorf("csv header: column %d has no name", i+1)
		}
		if j, dup := pos[h]; dup {
			return fmt.Errorf("csv header: column %q appears twice (columns %d and %d)", h, j+1, i+1)
		}
		pos[h] = i
	}
	index := make([]int, len(columns))
	wanted := make(map[string]bool, len(columns))
	var absent []string
	for i, col := range columns {
		if wanted[col] {
			return fmt.Errorf("column %q is bound twice", col)
		}
		wanted[col] = true
		if j, ok := pos[col]; ok {
			index[i] = j
		} else {
			index[i] = -1
			absent = append(absent, col)
		}
	}
	var unknown []string
	for _, h := range c.header {
		if !wanted[h] {
			unknown = append(unknown, h)
		}
	}
	c.index, c.unknown, c.absent = index, unknown, absent
	c.rec.Values = make([]any, len(columns))
	return nil
}

// Unknown returns the header columns that the bound columns do not name.
func (c *CSVReader) Unknown() []string { return c.unknown }

// Absent returns the bound columns that the header does not have.
func (c *CSVReader) Absent() []string { return c.absent }

// Next returns the next record, a *Reject for a row with the wrong number
// of fields or a quoting error, or io.EOF at the end. The returned Record
// and its Values slice are reused by the following call; the strings in it
// are not and may be kept.
func (c *CSVReader) Next() (*Record, *Reject, error) {
	var fields []string
	var err error
	if c.held != nil {
		fields, err, c.held = c.held.fields, c.held.err, nil
	} else {
		fields, err = c.r.Read()
	}
	// Records the guard skipped come first, in file order.
	if len(c.guard.skipped) > 0 {
		if sk, ok := c.guard.next(c.startLine(err)); ok {
			c.held = &heldRead{fields: fields, err: err}
			c.offset += sk.lines - 1
			return nil, c.tooLong(sk), nil
		}
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, c.reject(pe, fields), nil
		}
		if errors.Is(err, io.EOF) {
			return nil, nil, io.EOF
		}
		return nil, nil, fmt.Errorf("read csv: %w", err)
	}
	line, _ := c.r.FieldPos(0)
	c.rec.Line = int64(line) + c.offset
	for i, j := range c.index {
		if j < 0 {
			c.rec.Values[i] = ""
			continue
		}
		if c.guard.notUTF8 && !utf8.ValidString(fields[j]) {
			return nil, &Reject{Line: c.rec.Line, Column: c.header[j], Value: clipValue(fields[j]), Reason: invalidUTF8(fields[j]).Error()}, nil
		}
		c.rec.Values[i] = fields[j]
	}
	return &c.rec, nil, nil
}

// startLine is the line, as encoding/csv counts, of what the last Read
// returned: a record, a bad record (err), or the end.
func (c *CSVReader) startLine(err error) int64 {
	var pe *csv.ParseError
	switch {
	case err == nil:
		line, _ := c.r.FieldPos(0)
		return int64(line)
	case errors.As(err, &pe):
		return int64(pe.StartLine)
	}
	return 1 << 62 // the end: every skipped record is before it
}

// tooLong is the reject of a record the guard skipped.
func (c *CSVReader) tooLong(sk skippedRecord) *Reject {
	what := "line"
	if sk.lines > 1 {
		what = "record (" + strconv.FormatInt(sk.lines, 10) + " lines)"
	}
	return &Reject{Line: sk.line, Reason: what + " longer than " + FormatSize(int64(c.max)) + " (the limit on a line); skipped"}
}

func (c *CSVReader) reject(pe *csv.ParseError, fields []string) *Reject {
	rj := &Reject{Line: int64(pe.StartLine) + c.offset}
	if pe.StartLine == 0 {
		rj.Line = int64(pe.Line) + c.offset
	}
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		rj.Reason = "has " + strconv.Itoa(len(fields)) + " fields, the header has " + strconv.Itoa(len(c.header))
		rj.Value = clipValue(strings.Join(fields, string(c.r.Comma)))
	default:
		rj.Reason = pe.Err.Error()
		if pe.Line != pe.StartLine {
			rj.Reason += " (record starts on line " + strconv.FormatInt(int64(pe.StartLine)+c.offset, 10) + ", error on line " + strconv.FormatInt(int64(pe.Line)+c.offset, 10) + ")"
		}
	}
	return rj
}

// maxRejectValue bounds the text a Reject quotes from the input, so that
// one broken multi-megabyte row does not bloat the report.
const maxRejectValue = 200

// ReportValue renders a raw value (a Record's) for a reject report, the
// way clipValue does.
func ReportValue(raw any) string { return clipValue(rawString(raw)) }

// clipValue makes s fit a reject report: text either store can hold (no
// NUL byte, bytes that are not UTF-8 replaced), at most maxRejectValue
// bytes, cut on a rune boundary.
func clipValue(s string) string {
	if len(s) > maxRejectValue+utf8.UTFMax {
		s = s[:maxRejectValue+utf8.UTFMax]
	}
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) <= maxRejectValue {
		return s
	}
	n := maxRejectValue
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

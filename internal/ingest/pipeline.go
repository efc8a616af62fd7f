package ingest

import (
	"fmt"
	"io"
	"strings"
)

// Every CSV or NDJSON file Fanfare reads (an import, a campaign's
// load_file, a consent file) goes the same way: OpenStream (gzip, a byte
// order mark, the inflation limits), NewRecords (the format's guarded
// reader: the line limit, bytes that are not UTF-8, a CSV header), the
// caller's check of the header, Bind, then a Pipeline that converts each
// record's fields and hands on good rows and the problems of the others,
// each with its line and column. What the callers decide themselves is
// which header they accept and where rows and rejects go.

// ReadOptions say how to read the records of one file.
type ReadOptions struct {
	Format Format
	// Delimiter separates CSV fields; 0 means a comma.
	Delimiter rune
	// Limits bound a line; the caller opened the stream (OpenStream) with
	// the same limits to cap decompression.
	Limits Limits
}

// Records reads the records of one CSV or NDJSON file, bound to the
// columns its caller names. It implements Reader once bound.
type Records struct {
	csv  *CSVReader
	r    io.Reader // an NDJSON file, until Bind
	opts ReadOptions
	Reader
}

// NewRecords returns the reader of r's records; for CSV it reads the
// header row (see Header). Bind it before reading.
func NewRecords(r io.Reader, opts ReadOptions) (*Records, error) {
	switch opts.Format {
	case FormatNDJSON:
		return &Records{r: r, opts: opts}, nil
	case FormatCSV, "":
		cr, err := NewCSVReader(r, CSVOptions{Delimiter: opts.Delimiter, MaxRecord: opts.Limits.maxLine()})
		if err != nil {
			return nil, err
		}
		return &Records{csv: cr, opts: opts}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want csv or ndjson)", opts.Format)
}

// Header returns a CSV file's header row (names trimmed), or nil for
// NDJSON, whose lines name their own keys.
func (r *Records) Header() []string {
	if r.csv == nil {
		return nil
	}
	return r.csv.Header()
}

// Bind aligns the values of every record with columns. A CSV header
// column not in columns is skipped, and a column the header lacks reads as
// "" (the caller's header check decides whether either is an error); an
// NDJSON key not in columns rejects its line, and a column a line lacks
// reads as null. Bind fails on a CSV header with an empty or repeated name.
func (r *Records) Bind(columns []string) error {
	if r.csv != nil {
		if err := r.csv.Bind(columns); err != nil {
			return err
		}
		r.Reader = r.csv
		return nil
	}
	r.Reader = NewNDJSONReader(r.r, columns, r.opts.Limits.maxLine())
	return nil
}

// Field is one bound column as a Pipeline converts it.
type Field struct {
	// Name is the column's name, which rejects report.
	Name string
	// Convert turns the raw value into the row's; its error is the
	// reject's reason.
	Convert Converter
	// Required, when set, is asked about a null result given the row
	// converted so far (line, then the fields before this one): true
	// rejects it as "a value is required".
	Required func(row []any) bool
}

// Pipeline converts the records of a Reader field by field. Each record
// becomes a row, its line then its fields' values in order, handed to Row;
// a record that cannot be read, or whose fields do not all convert, goes
// to Rejected with every problem found.
type Pipeline struct {
	Fields []Field
	// TrimSpace trims spaces around every string value before it is
	// converted (and reported).
	TrimSpace bool
	// NewRow, when set, returns the row the next record is converted into
	// (1 + len(Fields) values); it is asked again once Row has taken the
	// row, a rejected record's row is used again. Without it every row is
	// allocated.
	NewRow func() ([]any, error)
	// Row receives each good row.
	Row func(row []any) error
	// Rejected receives the problems of one rejected record, at least
	// one, each naming its line and, when it is one field's, the column.
	// Values are the raw text, whole: clip them (ReportValue) to report.
	// The slice is reused by the next call.
	Rejected func(problems []Reject) error
	// Progress, when set, is called every 65 536 records read and at the
	// end, with the count so far.
	Progress func(read int64)
}

// ReadError is a failure to read the file (not a bad row), after Records
// records. Its text is the reader's.
type ReadError struct {
	Records int64
	Err     error
}

func (e *ReadError) Error() string { return e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// progressEvery is how many records pass between two Progress calls.
const progressEvery = 65536

// Run reads every record of rd through the pipeline and returns how many it
// read, rejected ones included. It stops at the first error of the reader
// (a *ReadError) or of a callback (returned as it is).
func (p *Pipeline) Run(rd Reader) (int64, error) {
	var read int64
	var problems []Reject
	var row []any
	for {
		rec, rj, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return read, &ReadError{Records: read, Err: err}
		}
		read++
		if p.Progress != nil && read%progressEvery == 0 {
			p.Progress(read)
		}
		if rj != nil {
			if err := p.Rejected(append(problems[:0], *rj)); err != nil {
				return read, err
			}
			continue
		}
		if row == nil {
			if row, err = p.newRow(); err != nil {
				return read, err
			}
		}
		problems = p.convert(rec, row, problems[:0])
		if len(problems) > 0 {
			if err := p.Rejected(problems); err != nil {
				return read, err
			}
			continue
		}
		if err := p.Row(row); err != nil {
			return read, err
		}
		row = nil
	}
	if p.Progress != nil {
		p.Progress(read)
	}
	return read, nil
}

func (p *Pipeline) newRow() ([]any, error) {
	if p.NewRow != nil {
		return p.NewRow()
	}
	return make([]any, 1+len(p.Fields)), nil
}

// convert fills row from rec and returns the problems found, appended to
// problems.
func (p *Pipeline) convert(rec *Record, row []any, problems []Reject) []Reject {
	row[0] = rec.Line
	for i, f := range p.Fields {
		raw := rec.Values[i]
		if s, ok := raw.(string); ok && p.TrimSpace {
			raw = strings.TrimSpace(s)
		}
		v, err := f.Convert(raw)
		if err == nil && v == nil && f.Required != nil && f.Required(row[:1+i]) {
			err = errRequired
		}
		if err != nil {
			problems = append(problems, Reject{Line: rec.Line, Column: f.Name, Value: rawString(raw), Reason: err.Error()})
			v = nil
		}
		row[1+i] = v
	}
	return problems
}

package ingest

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// batch is a slab of converted rows travelling from the parser goroutine to
// the bulk loader; slabs are recycled so steady-state parsing allocates
// little.
type batch struct {
	rows [][]any
	n    int
}

// stageRows parses and converts on one goroutine while the bulk loader
// appends on another, so the two cores share the work.
func (im *importer) stageRows(ctx context.Context, r io.Reader) error {
	rd, cols, err := im.openReader(r)
	if err != nil {
		return &InputError{Err: err}
	}
	width := 2 + len(im.attrs)
	full := make(chan *batch, 4)
	free := make(chan *batch, 6)
	for range 6 {
		b := &batch{rows: make([][]any, batchRows)}
		for i := range b.rows {
			b.rows[i] = make([]any, width)
		}
		free <- b
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parseErr := make(chan error, 1)
	go func() {
		defer close(full)
		parseErr <- im.parse(ctx, rd, cols, full, free)
	}()

	var cur *batch
	pos := 0
	next := func() ([]any, error) {
		for cur == nil || pos >= cur.n {
			if cur != nil {
				free <- cur
			}
			b, ok := <-full
			if !ok {
				cur = nil
				return nil, nil
			}
			cur, pos = b, 0
		}
		row := cur.rows[pos]
		pos++
		return row, nil
	}
	columns := append([]string{lineCol, deleteCol}, attrNames(im.attrs)...)
	_, loadErr := im.s.Dialect.BulkLoad(ctx, im.conn, im.stage, columns, next)
	if loadErr != nil {
		cancel()
		for range full {
		}
	}
	perr := <-parseErr
	if perr != nil {
		return perr
	}
	if loadErr != nil {
		return fmt.Errorf("stage rows: %w", loadErr)
	}
	return nil
}

func attrNames(attrs []*datamodel.Attribute) []string {
	out := make([]string, len(attrs))
	for i, a := range attrs {
		out[i] = a.Name
	}
	return out
}

// openReader builds the format's reader over the columns the entity knows
// (its attributes, then the change column). For CSV, header columns that
// are not attributes are an error, and so is a missing key column.
func (im *importer) openReader(r io.Reader) (Reader, []string, error) {
	wanted := append(attrNames(im.attrs), ChangeColumn)
	switch im.opts.Format {
	case FormatNDJSON:
		return NewNDJSONReader(r, wanted, im.opts.Limits.maxLine()), wanted, nil
	case FormatCSV, "":
		delim := im.opts.Delimiter
		if delim == 0 {
			delim = DelimiterFor(im.sum.Source)
		}
		cr, err := NewCSVReader(r, CSVOptions{Delimiter: delim, MaxRecord: im.opts.Limits.maxLine()})
		if err != nil {
			return nil, nil, err
		}
		header := cr.Header()
		have := map[string]bool{}
		var unknown []string
		for _, h := range header {
			have[h] = true
			if h != ChangeColumn && im.e.Attribute(h) == nil {
				unknown = append(unknown, fmt.Sprintf("%q", h))
			}
		}
		if len(unknown) > 0 {
			return nil, nil, fmt.Errorf("line 1: header column %s is not an attribute of %s (attributes: %s)",
				strings.Join(unknown, ", "), im.e.Name, strings.Join(attrNames(im.attrs), ", "))
		}
		var missing []string
		for _, k := range im.e.Key {
			if !have[k] {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			return nil, nil, fmt.Errorf("line 1: the header has no key column %s of %s", strings.Join(missing, ", "), im.e.Name)
		}
		if err := cr.Bind(wanted); err != nil {
			return nil, nil, err
		}
		return cr, wanted, nil
	}
	return nil, nil, fmt.Errorf("unknown format %q (want csv or ndjson)", im.opts.Format)
}

// parse reads records, converts them, reports bad rows and hands good rows
// to the loader in slabs.
func (im *importer) parse(ctx context.Context, rd Reader, cols []string, full, free chan *batch) error {
	nAttr := len(im.attrs)
	changeIdx := nAttr
	var b *batch
	var read int64
	send := func() bool {
		if b == nil || b.n == 0 {
			return true
		}
		select {
		case full <- b:
			b = nil
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		rec, rj, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &InputError{Err: fmt.Errorf("read %s after %d records: %w", im.sum.Source, read, err)}
		}
		read++
		if im.opts.Progress != nil && read%65536 == 0 {
			im.opts.Progress(read)
		}
		if rj != nil {
			im.reject(*rj, true)
			if err := im.overLimit(); err != nil {
				return err
			}
			continue
		}
		if b == nil {
			select {
			case b = <-free:
				b.n = 0
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		row := b.rows[b.n]
		row[0] = rec.Line
		ok := true
		del, problem := changeValue(rec.Values[changeIdx])
		if problem != "" {
			im.reject(Reject{Line: rec.Line, Column: ChangeColumn, Value: rawString(rec.Values[changeIdx]), Reason: problem}, true)
			ok = false
		}
		row[1] = del
		for i := 0; i < nAttr; i++ {
			a := im.attrs[i]
			v, cerr := im.convs[i](rec.Values[i])
			if cerr == nil && v == nil && (a.Required || im.e.IsKey(a.Name)) && !(del && !im.e.IsKey(a.Name)) {
				cerr = errRequired
			}
			if cerr != nil {
				im.reject(Reject{Line: rec.Line, Column: a.Name, Value: rawString(rec.Values[i]), Reason: cerr.Error()}, ok)
				ok = false
				continue
			}
			row[2+i] = v
		}
		if !ok {
			if err := im.overLimit(); err != nil {
				return err
			}
			continue
		}
		b.n++
		if b.n == len(b.rows) && !send() {
			return ctx.Err()
		}
	}
	if im.opts.Progress != nil {
		im.opts.Progress(read)
	}
	im.sum.Read = read
	if !send() {
		return ctx.Err()
	}
	return nil
}

type requiredError struct{}

func (requiredError) Error() string { return "a value is required" }

var errRequired error = requiredError{}

// changeValue reads the change-type column: empty or "upsert" keeps the
// row, "delete" removes it.
func changeValue(raw any) (del bool, problem string) {
	switch v := raw.(type) {
	case nil:
		return false, ""
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "", "upsert":
			return false, ""
		case "delete":
			return true, ""
		}
	}
	return false, `must be "upsert" or "delete"`
}

// rawString renders a raw value for a reject report.
func rawString(raw any) string {
	switch v := raw.(type) {
	case nil:
		return ""
	case string:
		return v
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(raw)
}

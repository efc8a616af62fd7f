package ingest

import (
	"context"
	"errors"
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
	rd, err := im.openReader(r)
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
		parseErr <- im.parse(ctx, rd, full, free)
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
	_, loadErr := im.stage.Load(ctx, next)
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

// openReader builds the format's reader over the columns the entity knows:
// the change column, then its attributes, the order of a staged row after
// its line. For CSV, header columns that are not attributes are an error,
// and so is a missing key column.
func (im *importer) openReader(r io.Reader) (*Records, error) {
	delim := im.opts.Delimiter
	if delim == 0 {
		delim = DelimiterFor(im.sum.Source)
	}
	rd, err := NewRecords(r, ReadOptions{Format: im.opts.Format, Delimiter: delim, Limits: im.opts.Limits})
	if err != nil {
		return nil, err
	}
	if header := rd.Header(); header != nil {
		if err := im.checkHeader(header); err != nil {
			return nil, err
		}
	}
	if err := rd.Bind(append([]string{ChangeColumn}, attrNames(im.attrs)...)); err != nil {
		return nil, err
	}
	return rd, nil
}

func (im *importer) checkHeader(header []string) error {
	have := map[string]bool{}
	var unknown []string
	for _, h := range header {
		have[h] = true
		if h != ChangeColumn && im.e.Attribute(h) == nil {
			unknown = append(unknown, fmt.Sprintf("%q", h))
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("line 1: header column %s is not an attribute of %s (attributes: %s)",
			strings.Join(unknown, ", "), im.e.Name, strings.Join(attrNames(im.attrs), ", "))
	}
	var missing []string
	for _, k := range im.e.Key {
		if !have[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("line 1: the header has no key column %s of %s", strings.Join(missing, ", "), im.e.Name)
	}
	return nil
}

// fields are the pipeline's fields: the change column, then the
// attributes. A key, and a required attribute of a row that is not a
// delete, must have a value.
func (im *importer) fields() []Field {
	fields := []Field{{Name: ChangeColumn, Convert: convertChange}}
	isDelete := func(row []any) bool { return row[1] == true }
	for i, a := range im.attrs {
		f := Field{Name: a.Name, Convert: im.convs[i]}
		switch {
		case im.e.IsKey(a.Name):
			f.Required = func([]any) bool { return true }
		case a.Required:
			f.Required = func(row []any) bool { return !isDelete(row) }
		}
		fields = append(fields, f)
	}
	return fields
}

// parse reads records, converts them, reports bad rows and hands good rows
// to the loader in slabs.
func (im *importer) parse(ctx context.Context, rd Reader, full, free chan *batch) error {
	var b *batch
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
	p := &Pipeline{
		Fields:   im.fields(),
		Progress: im.opts.Progress,
		NewRow: func() ([]any, error) {
			if b == nil {
				select {
				case b = <-free:
					b.n = 0
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			return b.rows[b.n], nil
		},
		Row: func([]any) error {
			im.rows.Add(1)
			b.n++
			if b.n == len(b.rows) && !send() {
				return ctx.Err()
			}
			return nil
		},
		Rejected: func(problems []Reject) error {
			im.rows.Add(1)
			for i, rj := range problems {
				im.reject(rj, i == 0)
			}
			return im.overLimit()
		},
	}
	read, err := p.Run(rd)
	var re *ReadError
	if errors.As(err, &re) {
		return &InputError{Err: fmt.Errorf("read %s after %d records: %w", im.sum.Source, re.Records, re.Err)}
	}
	if err != nil {
		return err
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

var errChange = errors.New(`must be "upsert" or "delete"`)

// convertChange reads the change-type column: empty or "upsert" keeps the
// row (false), "delete" removes it (true).
func convertChange(raw any) (any, error) {
	switch v := raw.(type) {
	case nil:
		return false, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "", "upsert":
			return false, nil
		case "delete":
			return true, nil
		}
	}
	return nil, errChange
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

package audience

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// Export formats.
const (
	FormatCSV    = "csv"
	FormatNDJSON = "ndjson"
)

// Export writes the members of a saved audience version (0: the current
// one) to w as CSV with a header or as NDJSON objects keyed by attribute
// path, in key order, and returns the number of rows written. attrs are
// attribute paths from the dimension (to-one links allowed); by default
// the key attributes and the email and SMS targeting attributes. Members
// whose row has since left the dimension's table are skipped. Rows are
// written as they are read.
func (s *Service) Export(ctx context.Context, name string, version int64, attrs []string, format string, w io.Writer) (int64, error) {
	if format != FormatCSV && format != FormatNDJSON {
		return 0, fmt.Errorf("%w: export format must be %q or %q, not %q", ErrInvalidRequest, FormatCSV, FormatNDJSON, format)
	}
	if version < 0 {
		return 0, fmt.Errorf("%w: version must be positive (0 for the current one), not %d", ErrInvalidRequest, version)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	v, err := s.versionOf(ctx, name, version)
	if err != nil {
		return 0, err
	}
	p, err := s.prepare(ctx, &Query{Dimension: v.Dimension, Where: &Node{Audience: name}})
	if err != nil {
		return 0, fmt.Errorf("export audience %s: %w", name, err)
	}
	c, err := p.compile(s.Store.Dialect, func(n string) (string, error) {
		if n == name {
			return v.Table, nil
		}
		return p.cat.table(n)
	})
	if err != nil {
		return 0, err
	}
	if len(attrs) == 0 {
		attrs = defaultExportAttrs(p.dim)
	}
	cols, err := selectColumns(p, c, attrs)
	if err != nil {
		return 0, err
	}
	query, args := c.SQL(selectList(cols), "ORDER BY "+strings.Join(c.Keys(), ", "))
	bw := bufio.NewWriterSize(w, 64<<10)
	write, err := rowWriter(bw, format, attrs)
	if err != nil {
		return 0, fmt.Errorf("export audience %s: %w", name, err)
	}
	var n int64
	var werr error // of write, which the rows end with as they are
	err = s.Store.Generated().Rows(ctx, query, args, func(scan func(...any) error) error {
		row, err := scanRow(scan, cols)
		if err != nil {
			return err
		}
		if werr = write(row); werr != nil {
			return werr
		}
		n++
		// Drivers may hand out buffered rows after the caller went away.
		return ctx.Err()
	})
	if werr != nil {
		return n, fmt.Errorf("export audience %s: write: %w", name, werr)
	}
	if err != nil {
		return n, ctxErr(ctx, "export audience "+name, err)
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("export audience %s: write: %w", name, err)
	}
	return n, nil
}

// defaultExportAttrs returns the attributes an export writes when none are
// asked for: dim's key, then its email and SMS targeting attributes.
func defaultExportAttrs(dim *datamodel.Entity) []string {
	attrs := append([]string(nil), dim.Key...)
	if t := dim.Targeting; t != nil {
		for _, a := range []string{t.Email, t.SMS} {
			if a != "" && !inList(attrs, a) {
				attrs = append(attrs, a)
			}
		}
	}
	return attrs
}

// rowWriter returns the function that writes one exported row, its values
// in the order of attrs, to bw in format. For CSV it first writes the
// header of attrs.
func rowWriter(bw *bufio.Writer, format string, attrs []string) (func(row []any) error, error) {
	var write func(row []any) error
	switch format {
	case FormatCSV:
		cw := csv.NewWriter(bw)
		if err := cw.Write(attrs); err != nil {
			return nil, err
		}
		rec := make([]string, len(attrs))
		write = func(row []any) error {
			for i, v := range row {
				rec[i] = csvValue(v)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
			// Hand the record to bw, which passes it on whenever it fills.
			cw.Flush()
			return cw.Error()
		}
	case FormatNDJSON:
		keys := make([][]byte, len(attrs))
		for i, a := range attrs {
			keys[i], _ = json.Marshal(a)
		}
		write = func(row []any) error {
			for i, v := range row {
				if i == 0 {
					bw.WriteByte('{')
				} else {
					bw.WriteByte(',')
				}
				bw.Write(keys[i])
				bw.WriteByte(':')
				b, err := json.Marshal(v)
				if err != nil {
					return err
				}
				bw.Write(b)
			}
			if len(row) == 0 {
				bw.WriteByte('{')
			}
			_, err := bw.WriteString("}\n")
			return err
		}
	}
	return write, nil
}

// csvValue renders a value of scanRow as CSV text; null is empty.
func csvValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case json.RawMessage:
		return string(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

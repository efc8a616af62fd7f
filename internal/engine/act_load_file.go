package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/worktable"
)

// lineColumn is the column of a file row's line number, the first column
// of load_file's out (and of reconcile's unmatched).
const lineColumn = "_line"

// loadBatchRows is how many converted rows travel together from the
// parser to a bulk loader.
const loadBatchRows = 1024

// fileColumn is one declared column of a loaded file.
type fileColumn struct {
	name string
	typ  datamodel.Type
	conv ingest.Converter
}

// loadFile reads a file on the server's own file system into a working
// table: rows whose every value converts go to out (the file's columns
// after _line), each problem of the other rows to rejects (line, column,
// value, reason). Both tables are filled by the dialect's bulk path while
// the file is parsed, so a file of any size streams through.
func loadFile(v *env) ([]output, error) {
	var s campaign.LoadFile
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	format, delim, err := fileFormat(s.Format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	cols, err := fileColumns(s.Columns, format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	r, err := openLoadFile(v.e.FilesDir, s.Path, format, v.e.FileLimits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	defer r.Close()
	rd, cols, err := fileReader(r, format, delim, cols, v.e.FileLimits)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", v.act.ID, s.Path, err)
	}

	out, rejects := v.table("out"), v.table(campaign.PortRejects)
	if err := v.createFileTables(out, rejects, cols); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(cols)+1)
	names = append(names, lineColumn)
	for _, c := range cols {
		names = append(names, c.name)
	}
	if err := v.streamFile(rd, cols, out, names, rejects); err != nil {
		return nil, fmt.Errorf("%s: load %s: %w", v.act.ID, s.Path, err)
	}
	// Decimals travel as the converters' canonical text, as imports stage
	// them, and take their type once loaded.
	for _, c := range cols {
		if c.typ == datamodel.TypeDecimal {
			typ := v.e.store.Dialect.ColumnType(&datamodel.Attribute{Type: datamodel.TypeDecimal})
			if err := v.exec(v.e.store.Dialect.AlterColumnTypeSQL(out, c.name, typ)); err != nil {
				return nil, err
			}
		}
	}
	return []output{
		{Port: "out", Table: out},
		{Port: campaign.PortRejects, Table: rejects},
	}, nil
}

// fileFormat maps the format setting to the reader to use: csv (the
// default) and tsv are CSV with a comma or a tab, jsonl (or ndjson) is
// NDJSON.
func fileFormat(name string) (ingest.Format, rune, error) {
	switch name {
	case "", "csv":
		return ingest.FormatCSV, ',', nil
	case "tsv":
		return ingest.FormatCSV, '\t', nil
	case "jsonl", "ndjson":
		return ingest.FormatNDJSON, 0, nil
	}
	return "", 0, fmt.Errorf("format %q: want csv, tsv or jsonl", name)
}

// fileColumns checks the columns setting and returns the columns in name
// order with their converters. Every column of the file must be declared:
// the output's shape is then known before the file is read, and a file
// that does not have the expected columns fails instead of loading
// something else.
func fileColumns(decl map[string]string, format ingest.Format) ([]fileColumn, error) {
	if len(decl) == 0 {
		return nil, errors.New("columns lists no column: declare every column of the file with its type, such as {email: string}")
	}
	names := make([]string, 0, len(decl))
	for n := range decl {
		names = append(names, n)
	}
	sort.Strings(names)
	seen := map[string]string{}
	cols := make([]fileColumn, 0, len(names))
	for _, n := range names {
		switch {
		case !worktable.ValidName(n) || len(n) > 63:
			return nil, fmt.Errorf("column %q: a file column name is a letter or '_' followed by letters, digits and '_' (at most 63)", n)
		case strings.EqualFold(n, lineColumn):
			return nil, fmt.Errorf("column %q: the name is taken by the line number column", n)
		case seen[strings.ToLower(n)] != "":
			return nil, fmt.Errorf("columns %q and %q differ only in case", seen[strings.ToLower(n)], n)
		}
		seen[strings.ToLower(n)] = n
		t := datamodel.Type(decl[n])
		switch t {
		case datamodel.TypeString, datamodel.TypeInteger, datamodel.TypeDecimal, datamodel.TypeBoolean, datamodel.TypeDate, datamodel.TypeTimestamp:
		default:
			return nil, fmt.Errorf("column %s: type %q: want string, integer, decimal, boolean, date or timestamp", n, decl[n])
		}
		a := &datamodel.Attribute{Name: n, Type: t}
		cols = append(cols, fileColumn{name: n, typ: t, conv: ingest.ConverterForFormat(a, time.UTC, format)})
	}
	return cols, nil
}

// openLoadFile opens a regular file of the files directory (see
// openInFilesDir), decompressing gzip.
func openLoadFile(dir, path string, format ingest.Format, lim ingest.Limits) (io.ReadCloser, error) {
	f, err := openInFilesDir(dir, path)
	if err != nil {
		return nil, err
	}
	// A directory, FIFO or device would fail late or block the worker.
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("open file: %w", err)
		}
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	r, _, err := ingest.OpenStream(f, path, format, lim)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &loadReader{Reader: r, f: f}, nil
}

// loadReader reads the prepared stream and closes the file.
type loadReader struct {
	io.Reader
	f *os.File
}

func (l *loadReader) Close() error { return l.f.Close() }

// fileReader builds the format's reader and returns the columns in the
// order of the output table: the header's order for CSV, whose header must
// name exactly the declared columns, and name order for NDJSON, where a
// key not declared rejects its line and a declared key a line lacks is
// null.
func fileReader(r io.Reader, format ingest.Format, delim rune, cols []fileColumn, lim ingest.Limits) (ingest.Reader, []fileColumn, error) {
	rd, err := ingest.NewRecords(r, ingest.ReadOptions{Format: format, Delimiter: delim, Limits: lim})
	if err != nil {
		return nil, nil, err
	}
	if header := rd.Header(); header != nil {
		if cols, err = headerColumns(header, cols); err != nil {
			return nil, nil, err
		}
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	if err := rd.Bind(names); err != nil {
		return nil, nil, err
	}
	return rd, cols, nil
}

// headerColumns returns the declared columns in the order of a CSV
// header, which must name every one of them and nothing else.
func headerColumns(header []string, cols []fileColumn) ([]fileColumn, error) {
	byName := map[string]fileColumn{}
	names := make([]string, len(cols))
	for i, c := range cols {
		byName[c.name] = c
		names[i] = c.name
	}
	ordered := make([]fileColumn, 0, len(cols))
	var unknown []string
	for _, h := range header {
		if c, ok := byName[h]; ok {
			ordered = append(ordered, c)
			delete(byName, h)
		} else {
			unknown = append(unknown, fmt.Sprintf("%q", h))
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("line 1: header column %s not declared in columns (declared: %s)", strings.Join(unknown, ", "), strings.Join(names, ", "))
	}
	if len(byName) > 0 {
		var missing []string
		for n := range byName {
			missing = append(missing, n)
		}
		sort.Strings(missing)
		return nil, fmt.Errorf("line 1: the header has no column %s", strings.Join(missing, ", "))
	}
	return ordered, nil
}

// createFileTables creates the empty out and rejects tables.
func (v *env) createFileTables(out, rejects string, cols []fileColumn) error {
	fcols := make([]worktable.FileColumn, len(cols))
	for i, c := range cols {
		fcols[i] = worktable.FileColumn{Name: c.name, Type: c.typ}
	}
	for _, stmt := range worktable.FileTables(v.e.store.Dialect, out, rejects, lineColumn, fcols) {
		if err := v.exec(stmt); err != nil {
			return err
		}
	}
	return nil
}

// rejectColumns are the columns of load_file's rejects.
var rejectColumns = []string{"line", "column", "value", "reason"}

// streamFile parses the file while two goroutines bulk load the good rows
// and the rejects, each on its own connection, so that neither has to be
// held in memory.
func (v *env) streamFile(rd ingest.Reader, cols []fileColumn, out string, outCols []string, rejects string) error {
	ctx, cancel := context.WithCancel(v.ctx)
	defer cancel()
	good := make(chan [][]any, 4)
	bad := make(chan [][]any, 4)
	type load struct {
		table string
		cols  []string
		ch    chan [][]any
	}
	loads := []load{{out, outCols, good}, {rejects, rejectColumns, bad}}
	errs := make([]error, len(loads)+1)
	var wg sync.WaitGroup
	for i, l := range loads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := v.e.store.Runs().Load(ctx, l.table, l.cols, batchFeed(l.ch)); err != nil {
				errs[i] = err
				cancel()
				for range l.ch {
				}
			}
		}()
	}
	errs[len(loads)] = parseFile(ctx, rd, cols, good, bad)
	close(good)
	close(bad)
	wg.Wait()
	// The parser's error explains a cancelled load better than the
	// cancellation does, and a failed load explains a cancelled parser.
	perr := errs[len(loads)]
	if perr != nil && !errors.Is(perr, context.Canceled) {
		return perr
	}
	for _, err := range errs[:len(loads)] {
		if err != nil {
			return err
		}
	}
	return perr
}

// batchFeed hands out the rows of the batches arriving on ch, one at a
// time, and a nil row once ch is closed.
func batchFeed(ch <-chan [][]any) store.RowFunc {
	var cur [][]any
	pos := 0
	return func() ([]any, error) {
		for pos >= len(cur) {
			b, ok := <-ch
			if !ok {
				return nil, nil
			}
			cur, pos = b, 0
		}
		pos++
		return cur[pos-1], nil
	}
}

// parseFile reads every record, converts its values and sends the row to
// good, or one reject per problem to bad.
func parseFile(ctx context.Context, rd ingest.Reader, cols []fileColumn, good, bad chan<- [][]any) error {
	var goodRows, badRows [][]any
	send := func(ch chan<- [][]any, rows *[][]any, min int) error {
		if len(*rows) == 0 || len(*rows) < min {
			return nil
		}
		select {
		case ch <- *rows:
			*rows = make([][]any, 0, loadBatchRows)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	fields := make([]ingest.Field, len(cols))
	for i, c := range cols {
		fields[i] = ingest.Field{Name: c.name, Convert: c.conv}
	}
	p := &ingest.Pipeline{
		Fields: fields,
		Row: func(row []any) error {
			goodRows = append(goodRows, row)
			return send(good, &goodRows, loadBatchRows)
		},
		Rejected: func(problems []ingest.Reject) error {
			for _, rj := range problems {
				// A line that cannot be read at all has no column: null.
				var col any
				if rj.Column != "" {
					col = rj.Column
				}
				badRows = append(badRows, []any{rj.Line, col, ingest.ReportValue(rj.Value), rj.Reason})
				if err := send(bad, &badRows, loadBatchRows); err != nil {
					return err
				}
			}
			return nil
		},
	}
	if _, err := p.Run(rd); err != nil {
		return err
	}
	if err := send(good, &goodRows, 0); err != nil {
		return err
	}
	return send(bad, &badRows, 0)
}

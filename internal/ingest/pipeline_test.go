package ingest_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/ingest"
)

// pipelineRun reads body through NewRecords and a Pipeline over an id
// (integer, required) and a name (string), trimming spaces, and returns
// the good rows and every reject as text.
func pipelineRun(t *testing.T, body string, format ingest.Format) (rows, rejects []string, read int64, err error) {
	t.Helper()
	rd, err := ingest.NewRecords(strings.NewReader(body), ingest.ReadOptions{Format: format})
	if err != nil {
		t.Fatal(err)
	}
	if err := rd.Bind([]string{"id", "name"}); err != nil {
		t.Fatal(err)
	}
	p := &ingest.Pipeline{
		Fields: []ingest.Field{
			{Name: "id", Convert: ingest.ConverterFor(&datamodel.Attribute{Type: datamodel.TypeInteger}, nil), Required: func([]any) bool { return true }},
			{Name: "name", Convert: ingest.ConverterFor(&datamodel.Attribute{Type: datamodel.TypeString}, nil)},
		},
		TrimSpace: true,
		Row: func(row []any) error {
			rows = append(rows, strings.TrimSuffix(fmt.Sprintln(row...), "\n"))
			return nil
		},
		Rejected: func(problems []ingest.Reject) error {
			for _, rj := range problems {
				rejects = append(rejects, fmt.Sprintf("%d %s %q: %s", rj.Line, rj.Column, rj.Value, rj.Reason))
			}
			return nil
		},
	}
	read, err = p.Run(rd)
	return rows, rejects, read, err
}

// TestPipeline converts CSV and NDJSON records field by field: good rows
// carry their line first, and each problem of a bad row names its line and
// column, a row that cannot be read its line.
func TestPipeline(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		format    ingest.Format
		body      string
		rows, rjs []string
		read      int64
	}{
		{
			name:   "csv",
			format: ingest.FormatCSV,
			body:   "name,id\nann, 1 \n,x\nbob\n  ,3\n",
			rows:   []string{"2 1 ann", "5 3 <nil>"},
			rjs:    []string{`3 id "x": not an integer`, `4  "bob": has 1 fields, the header has 2`},
			read:   4,
		},
		{
			name:   "ndjson",
			format: ingest.FormatNDJSON,
			body:   "{\"id\": 1, \"name\": \"ann\"}\n\n{\"name\": \"b\\u0000\"}\n{\"id\": 2, \"mail\": 1}\n",
			rows:   []string{"1 1 ann"},
			rjs:    []string{`3 id "": a value is required`, `3 name "b\x00": contains a NUL byte`, `4 mail "": unknown column`},
			read:   3,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows, rjs, read, err := pipelineRun(t, c.body, c.format)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%q", rows) != fmt.Sprintf("%q", c.rows) || fmt.Sprintf("%q", rjs) != fmt.Sprintf("%q", c.rjs) || read != c.read {
				t.Fatalf("rows %q\nrejects %q\nread %d\nwant %q\n%q\n%d", rows, rjs, read, c.rows, c.rjs, c.read)
			}
		})
	}
}

// TestPipelineStops stops at a read failure (a *ReadError with the records
// read before it) and at a callback's error.
func TestPipelineStops(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk gone")
	rd, err := ingest.NewRecords(io.MultiReader(strings.NewReader("{\"id\": 1}\n{\"id\": 2}\n"), iotest.ErrReader(boom)), ingest.ReadOptions{Format: ingest.FormatNDJSON})
	if err != nil {
		t.Fatal(err)
	}
	if err := rd.Bind([]string{"id"}); err != nil {
		t.Fatal(err)
	}
	var progress []int64
	p := &ingest.Pipeline{
		Fields:   []ingest.Field{{Name: "id", Convert: ingest.ConverterFor(&datamodel.Attribute{Type: datamodel.TypeInteger}, nil)}},
		Row:      func([]any) error { return nil },
		Rejected: func([]ingest.Reject) error { return nil },
		Progress: func(n int64) { progress = append(progress, n) },
	}
	n, err := p.Run(rd)
	var re *ingest.ReadError
	if !errors.As(err, &re) || re.Records != 2 || n != 2 || !errors.Is(err, boom) {
		t.Fatalf("Run = %d, %v; want a read error after 2 records", n, err)
	}

	stop := errors.New("stop")
	rd, _ = ingest.NewRecords(strings.NewReader("id\n1\n2\n"), ingest.ReadOptions{Format: ingest.FormatCSV})
	_ = rd.Bind([]string{"id"})
	p.Row = func([]any) error { return stop }
	if n, err := p.Run(rd); err != stop || n != 1 {
		t.Fatalf("Run = %d, %v; want the row's error after 1 record", n, err)
	}
	if _, err := ingest.NewRecords(strings.NewReader(""), ingest.ReadOptions{Format: "xml"}); err == nil {
		t.Fatal("NewRecords accepted format xml")
	}
}

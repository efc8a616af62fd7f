package ingest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// row is one result of Next, flattened for comparison.
type row struct {
	Line   int64
	Values []any
	Reject string // Reject.Reason, when the row was rejected
	Column string // Reject.Column
}

// readAll drains rd, copying reused records.
func readAll(t testing.TB, rd Reader) []row {
	t.Helper()
	var out []row
	for {
		rec, rj, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if rj != nil {
			out = append(out, row{Line: rj.Line, Reject: rj.Reason, Column: rj.Column})
			continue
		}
		out = append(out, row{Line: rec.Line, Values: append([]any(nil), rec.Values...)})
	}
}

func vals(s ...string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func openCSV(t testing.TB, file string, opts CSVOptions) *CSVReader {
	t.Helper()
	path := filepath.Join("testdata", file)
	rc, _, err := OpenFile(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	cr, err := NewCSVReader(rc, opts)
	if err != nil {
		t.Fatal(err)
	}
	return cr
}

func TestCSVReaderFiles(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		opts   CSVOptions
		header []string
		want   []row
	}{
		{
			name:   "BOM and padded header",
			file:   "bom.csv",
			header: []string{"id", "name", "amount"},
			want: []row{
				{Line: 2, Values: vals("1", "Ann", "12.50")},
				{Line: 3, Values: vals("2", "Bob, Jr.", "3")},
			},
		},
		{
			name:   "semicolon delimiter",
			file:   "semicolon.csv",
			opts:   CSVOptions{Delimiter: ';'},
			header: []string{"id", "name", "note"},
			want: []row{
				{Line: 2, Values: vals("1", "Ann", "semi; colon")},
				{Line: 3, Values: vals("2", "Bob", "plain")},
			},
		},
		{
			name:   "quoted fields",
			file:   "quoted.csv",
			header: []string{"id", "name", "note"},
			want: []row{
				{Line: 2, Values: vals("1", "Ann", "a, b")},
				{Line: 3, Values: vals("2", "Bob", "line one\nline two")},
				{Line: 5, Values: vals("3", "Cy", `say "hi"`)},
				{Line: 6, Values: vals("4", "Di", "end")},
			},
		},
		{
			name:   "bad rows are rejected and reading goes on",
			file:   "badcount.csv",
			header: []string{"id", "name", "note"},
			want: []row{
				{Line: 2, Values: vals("1", "Ann", "x")},
				{Line: 3, Reject: "has 2 fields, the header has 3"},
				{Line: 4, Values: vals("3", "Cy", "z")},
				{Line: 5, Reject: "has 4 fields, the header has 3"},
				{Line: 6, Reject: `extraneous or missing " in quoted-field`},
				{Line: 7, Values: vals("6", "Fa", "ok")},
			},
		},
		{
			name:   "CRLF line endings",
			file:   "crlf.csv",
			header: []string{"id", "name", "note"},
			want: []row{
				{Line: 2, Values: vals("1", "Ann", "x")},
				{Line: 3, Values: vals("2", "Bob", "multi\nline")},
				{Line: 5, Values: vals("3", "Cy", "z")},
			},
		},
		{
			name:   "gzip",
			file:   "people.csv.gz",
			header: []string{"id", "name", "note"},
			want: []row{
				{Line: 2, Values: vals("1", "Ann", "x")},
				{Line: 3, Values: vals("2", "Bob", "y")},
				{Line: 4, Values: vals("3", "Cy", "z")},
			},
		},
		{
			name:   "tab delimiter",
			file:   "tabs.tsv",
			opts:   CSVOptions{Delimiter: DelimiterFor("tabs.tsv")},
			header: []string{"id", "name", "note"},
			want: []row{
				{Line: 2, Values: vals("1", "Ann", "x")},
				{Line: 3, Values: vals("2", "Bob", "y")},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := openCSV(t, tt.file, tt.opts)
			if !reflect.DeepEqual(cr.Header(), tt.header) {
				t.Fatalf("header = %q, want %q", cr.Header(), tt.header)
			}
			got := readAll(t, cr)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows:\n got  %+v\n want %+v", got, tt.want)
			}
		})
	}
}

func TestCSVReaderBind(t *testing.T) {
	cr, err := NewCSVReader(strings.NewReader("name,id,extra\nAnn,1,x\n"), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cr.Bind([]string{"id", "name", "email"}); err != nil {
		t.Fatal(err)
	}
	if got := cr.Unknown(); !reflect.DeepEqual(got, []string{"extra"}) {
		t.Errorf("Unknown = %q", got)
	}
	if got := cr.Absent(); !reflect.DeepEqual(got, []string{"email"}) {
		t.Errorf("Absent = %q", got)
	}
	got := readAll(t, cr)
	want := []row{{Line: 2, Values: vals("1", "Ann", "")}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %+v, want %+v", got, want)
	}
}

func TestCSVReaderErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    CSVOptions
		bind    []string
		wantErr string
	}{
		{name: "empty file", in: "", wantErr: "empty"},
		{name: "other quote", in: "a\n", opts: CSVOptions{Quote: '\''}, wantErr: "quote"},
		{name: "quote as delimiter", in: "a\n", opts: CSVOptions{Delimiter: '"'}, wantErr: "delimiter"},
		{name: "newline delimiter", in: "a\n", opts: CSVOptions{Delimiter: '\n'}, wantErr: "delimiter"},
		{name: "duplicate header", in: "a,b,a\n", bind: []string{"a"}, wantErr: `"a" appears twice`},
		{name: "empty header name", in: "a,,b\n", bind: []string{"a"}, wantErr: "column 2 has no name"},
		{name: "column bound twice", in: "a\n", bind: []string{"a", "a"}, wantErr: "bound twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr, err := NewCSVReader(strings.NewReader(tt.in), tt.opts)
			if err == nil && tt.bind != nil {
				err = cr.Bind(tt.bind)
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestCSVReaderLazyQuotes(t *testing.T) {
	cr, err := NewCSVReader(strings.NewReader("a,b\n1,x\"y\n"), CSVOptions{LazyQuotes: true})
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, cr)
	want := []row{{Line: 2, Values: vals("1", `x"y`)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %+v, want %+v", got, want)
	}
}

func FuzzCSVReader(f *testing.F) {
	for _, file := range []string{"bom.csv", "semicolon.csv", "quoted.csv", "badcount.csv", "crlf.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, byte(','), false)
	}
	f.Add([]byte("a;b\n\"1;\";2\n3\n"), byte(';'), true)
	f.Add([]byte("a\n\"unterminated\n"), byte(','), false)
	f.Fuzz(func(t *testing.T, data []byte, delim byte, lazy bool) {
		cr, err := NewCSVReader(strings.NewReader(string(data)), CSVOptions{Delimiter: rune(delim), LazyQuotes: lazy})
		if err != nil {
			return
		}
		_ = cr.Bind(append([]string{"extra"}, cr.Header()...))
		last := int64(0)
		for {
			rec, rj, err := cr.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			line := int64(0)
			if rj != nil {
				line = rj.Line
				if rj.Reason == "" {
					t.Fatal("reject without reason")
				}
			} else {
				line = rec.Line
				if len(rec.Values) != len(cr.index) {
					t.Fatalf("%d values for %d columns", len(rec.Values), len(cr.index))
				}
			}
			if line <= last {
				t.Fatalf("line %d after line %d", line, last)
			}
			last = line
		}
	})
}

// benchCSV builds a customers-like CSV file of n rows.
func benchCSV(n int) []byte {
	var sb strings.Builder
	sb.WriteString("customer_id,email,country,birth_date,loyalty_tier,balance,created_at,active\n")
	tiers := []string{"bronze", "silver", "gold"}
	for i := 0; i < n; i++ {
		id := strconv.Itoa(i + 1)
		sb.WriteString(id)
		sb.WriteString(",user")
		sb.WriteString(id)
		sb.WriteString("@example.com,FR,1987-0")
		sb.WriteByte(byte('1' + i%9))
		sb.WriteString("-15,")
		sb.WriteString(tiers[i%3])
		sb.WriteString(",")
		sb.WriteString(strconv.Itoa(i % 10000))
		sb.WriteString(".25,2024-03-31T09:30:00Z,")
		if i%2 == 0 {
			sb.WriteString("true\n")
		} else {
			sb.WriteString("false\n")
		}
	}
	return []byte(sb.String())
}

func BenchmarkCSVReader(b *testing.B) {
	const rows = 100_000
	data := benchCSV(rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		cr, err := NewCSVReader(bytes.NewReader(data), CSVOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, rj, err := cr.Next()
			if err == io.EOF {
				break
			}
			if err != nil || rj != nil {
				b.Fatal(err, rj)
			}
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

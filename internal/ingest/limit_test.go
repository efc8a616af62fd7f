package ingest

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// testLimit is the small line limit the tests configure.
const testLimit = 64 << 10

// TestCSVReaderTooLong reads records past a small limit: each is rejected
// with its first line, the records after it load with their own line
// numbers, and a quoted field's newlines count as lines of its record.
func TestCSVReaderTooLong(t *testing.T) {
	long := strings.Repeat("x", testLimit)
	quotedLong := `"` + strings.Repeat("y\n", testLimit/2) + `"`
	tooLong := "line longer than 64 KiB (the limit on a line); skipped"
	tests := []struct {
		name string
		in   string
		lazy bool
		want []row
	}{
		{name: "at the limit", in: "a,b\n1," + long[:testLimit-3] + "\n2,z\n",
			want: []row{{Line: 2, Values: vals("1", long[:testLimit-3])}, {Line: 3, Values: vals("2", "z")}}},
		{name: "one byte over", in: "a,b\n1," + long[:testLimit-2] + "\n2,z\n",
			want: []row{{Line: 2, Reject: tooLong}, {Line: 3, Values: vals("2", "z")}}},
		{name: "between good rows", in: "a,b\n1,x\n2," + long + long + "\n3,z\n",
			want: []row{{Line: 2, Values: vals("1", "x")}, {Line: 3, Reject: tooLong}, {Line: 4, Values: vals("3", "z")}}},
		{name: "quoted newlines", in: "a,b\n1," + quotedLong + "\n2,\"q\nr\"\n3," + long + "\n4,z",
			want: []row{
				{Line: 2, Reject: "record (32769 lines) longer than 64 KiB (the limit on a line); skipped"},
				{Line: 32771, Values: vals("2", "q\nr")},
				{Line: 32773, Reject: tooLong},
				{Line: 32774, Values: vals("4", "z")},
			}},
		{name: "two in a row, then a bad row", in: "a,b\n1," + long + "\n2," + long + "\n3,z,extra\n4,\"a\"b\"\n5,z\n",
			want: []row{{Line: 2, Reject: tooLong}, {Line: 3, Reject: tooLong}, {Line: 4, Reject: "has 3 fields, the header has 2"},
				{Line: 5, Reject: `extraneous or missing " in quoted-field`}, {Line: 6, Values: vals("5", "z")}}},
		{name: "last, no newline", in: "a,b\n1,x\n2," + long,
			want: []row{{Line: 2, Values: vals("1", "x")}, {Line: 3, Reject: tooLong}}},
		{name: "lazy quotes end a record at a newline", in: "a,b\n1,x\"" + long + "\n2,z\n", lazy: true,
			want: []row{{Line: 2, Reject: tooLong}, {Line: 3, Values: vals("2", "z")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr, err := NewCSVReader(strings.NewReader(tt.in), CSVOptions{MaxRecord: testLimit, LazyQuotes: tt.lazy})
			if err != nil {
				t.Fatal(err)
			}
			if err := cr.Bind([]string{"a", "b"}); err != nil {
				t.Fatal(err)
			}
			got := readAll(t, cr)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows = %.400v\nwant %.400v", got, tt.want)
			}
		})
	}
}

func TestCSVReaderHeaderTooLong(t *testing.T) {
	_, err := NewCSVReader(strings.NewReader(strings.Repeat("a", testLimit+1)+"\nb\n1\n"), CSVOptions{MaxRecord: testLimit})
	if err == nil || !strings.Contains(err.Error(), "line 1: the header is longer than 64 KiB") {
		t.Fatalf("err = %v", err)
	}
}

// endless is a field of n bytes with no newline, made as it is read.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), e.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	e.n -= k
	return int(k), nil
}

// TestReadersDoNotHoldALongLine streams a 64 MiB field with no newline
// through both readers with a 64 KiB limit: what they allocate stays near
// the limit instead of growing with the field.
func TestReadersDoNotHoldALongLine(t *testing.T) {
	const field = 64 << 20
	for _, format := range []Format{FormatCSV, FormatNDJSON} {
		t.Run(string(format), func(t *testing.T) {
			var head io.Reader
			var rd func(io.Reader) (Reader, error)
			if format == FormatCSV {
				head = strings.NewReader("a\n")
				rd = func(r io.Reader) (Reader, error) { return NewCSVReader(r, CSVOptions{MaxRecord: testLimit}) }
			} else {
				head = strings.NewReader(`{"a":"`)
				rd = func(r io.Reader) (Reader, error) { return NewNDJSONReader(r, []string{"a"}, testLimit), nil }
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			r, err := rd(io.MultiReader(head, &endless{n: field}))
			if err != nil {
				t.Fatal(err)
			}
			got := readAll(t, r)
			runtime.ReadMemStats(&after)
			if len(got) != 1 || got[0].Reject == "" {
				t.Fatalf("rows = %.200v, want one reject", got)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
				t.Errorf("reading a %d MiB field allocated %d MiB", field>>20, alloc>>20)
			}
		})
	}
}

// TestInflateGuard opens gzip files that inflate past a cap, or past a
// ratio once over a floor: reading fails naming the file; a file within
// both reads whole.
func TestInflateGuard(t *testing.T) {
	csv := func(rows int) []byte {
		var b bytes.Buffer
		b.WriteString("a\n")
		for range rows {
			b.WriteString("0000000000000000000000000000000000000000000000000000000000000000\n")
		}
		return b.Bytes()
	}
	bomb := gzipped(t, string(csv(300_000))) // ≈ 19 MiB from ≈ 20 KiB
	tests := []struct {
		name    string
		file    []byte
		lim     Limits
		wantErr string
	}{
		{name: "within", file: bomb, lim: Limits{MaxInflated: 32 << 20, MaxInflateRatio: -1}},
		{name: "over the cap", file: bomb, lim: Limits{MaxInflated: 10 << 20, MaxInflateRatio: -1},
			wantErr: "bomb.csv.gz: gzip file inflates past the limit: it inflates to more than 10 MiB"},
		{name: "over the ratio", file: bomb, lim: Limits{RatioFloor: 1 << 20},
			wantErr: "bomb.csv.gz: gzip file inflates past the limit: "},
		{name: "ratio under the floor", file: bomb, lim: Limits{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, err := OpenStream(bytes.NewReader(tt.file), "bomb.csv.gz", "", tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, r)
			if tt.wantErr == "" {
				if err != nil || n != int64(len(csv(300_000))) {
					t.Fatalf("read %d bytes, err %v", n, err)
				}
				return
			}
			if !errors.Is(err, ErrInflateLimit) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"4MiB": 4 << 20, "64 KiB": 64 << 10, "1g": 1 << 30, "100": 100, "10MB": 10 << 20} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "4 TiB", "x"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) succeeded", in)
		}
	}
}

// csvBaseline reads data with encoding/csv alone, as the reader did before
// the guard, and returns what a guard with the given limit must give: the
// same rows, except that a record longer than max (from its first line's
// start to its end) is a reject at the same line.
func csvBaseline(t *testing.T, data string, delim rune, lazy bool, max int) []row {
	t.Helper()
	lineStart := []int{0, 0} // lineStart[n] is where line n begins
	for i := 0; i < len(data); i++ {
		if data[i] == '\n' {
			lineStart = append(lineStart, i+1)
		}
	}
	cr := csv.NewReader(strings.NewReader(data))
	cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = delim, lazy, -1
	header, err := cr.Read()
	if err != nil {
		return nil
	}
	width := len(header)
	var out []row
	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		var pe *csv.ParseError
		var line int
		switch {
		case err == nil:
			line, _ = cr.FieldPos(0)
		case errors.As(err, &pe):
			line = pe.StartLine
		default:
			t.Fatal(err)
		}
		if int(cr.InputOffset())-lineStart[line] > max {
			out = append(out, row{Line: int64(line), Reject: "too long"})
			continue
		}
		if err != nil || len(fields) != width || !allUTF8(fields) {
			out = append(out, row{Line: int64(line), Reject: "bad"})
			continue
		}
		out = append(out, row{Line: int64(line), Values: vals(fields...)})
	}
}

func allUTF8(fields []string) bool {
	for _, f := range fields {
		if !utf8.ValidString(f) {
			return false
		}
	}
	return true
}

// FuzzCSVGuard checks that the guard ends records where encoding/csv does:
// with a small limit, the rows are those csv reads, and the records longer
// than the limit are rejects at their own line, however quotes, newlines
// and delimiters fall.
func FuzzCSVGuard(f *testing.F) {
	for _, s := range []string{
		"a\nb\n", "\"a\nb\"\nc\n", "x\"y\nz\n" + strings.Repeat("w\n", 20), "\"a\"x\nb\n",
		"\"a\"\"b\"\nc\n", "\"a\"\r\nb\n", "1;\"a\nb\";c\n", "\"unclosed\n" + strings.Repeat("q\n", 10),
		"\n\n\"a\n\n\"\n\nb", "a,\"b\nc\"\nd\n", "\"" + strings.Repeat("x", 40) + "\"\nshort\n",
	} {
		f.Add(s, uint8(','), false, uint8(8))
		f.Add(s, uint8(';'), true, uint8(5))
	}
	f.Fuzz(func(t *testing.T, body string, delim uint8, lazy bool, max uint8) {
		d := rune(delim)
		if d == 0 || d == '"' || d == '\r' || d == '\n' || d >= 0x80 || max < 2 {
			return
		}
		data := "h\n" + body
		want := csvBaseline(t, data, d, lazy, int(max))
		cr, err := NewCSVReader(strings.NewReader(data), CSVOptions{Delimiter: d, LazyQuotes: lazy, MaxRecord: int(max)})
		if err != nil {
			return
		}
		var got []row
		for {
			rec, rj, err := cr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case rj != nil && strings.Contains(rj.Reason, "longer than"):
				got = append(got, row{Line: rj.Line, Reject: "too long"})
			case rj != nil:
				got = append(got, row{Line: rj.Line, Reject: "bad"})
			default:
				v := make([]string, len(rec.Values))
				for i := range v {
					v[i] = rec.Values[i].(string)
				}
				got = append(got, row{Line: rec.Line, Values: vals(v...)})
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("guarded %q:\n got %v\nwant %v", data, got, want)
		}
	})
}

// TestCSVStrayQuoteCostsOneLine reads a quote in an unquoted field followed
// by more good lines than the limit holds: encoding/csv refuses that one
// line, and so must the guard, rather than take the rest of the file for
// a quoted field that never closes.
func TestCSVStrayQuoteCostsOneLine(t *testing.T) {
	in := "a,b\n1,12\" screen\n" + strings.Repeat("2,z\n", testLimit/2)
	cr, err := NewCSVReader(strings.NewReader(in), CSVOptions{MaxRecord: testLimit})
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, cr)
	if len(got) != 1+testLimit/2 || got[0].Line != 2 || !strings.Contains(got[0].Reject, `bare "`) || got[len(got)-1].Line != 2+testLimit/2 || got[len(got)-1].Reject != "" {
		t.Fatalf("%d rows, first %+v, last %+v", len(got), got[0], got[len(got)-1])
	}
}

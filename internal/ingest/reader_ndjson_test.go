package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNDJSONReaderFile(t *testing.T) {
	rc, _, err := OpenFile(filepath.Join("testdata", "people.ndjson"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rd := NewNDJSONReader(rc, []string{"id", "name", "tags"}, 0)
	type out struct {
		Line    int64
		Values  []any
		Missing []bool
		Reject  string
		Column  string
	}
	var got []out
	for {
		rec, rj, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rj != nil {
			got = append(got, out{Line: rj.Line, Reject: rj.Reason, Column: rj.Column})
			continue
		}
		got = append(got, out{Line: rec.Line, Values: append([]any(nil), rec.Values...), Missing: append([]bool(nil), rec.Missing...)})
	}
	want := []out{
		{Line: 1, Values: []any{json.Number("1"), "Ann", []any{"a", "b"}}, Missing: []bool{false, false, false}},
		{Line: 3, Values: []any{json.Number("2"), nil, nil}, Missing: []bool{false, false, true}},
		{Line: 4, Reject: "invalid JSON: invalid character 'o' in literal null (expecting 'u') at byte 2"},
		{Line: 5, Reject: "not a JSON object"},
		{Line: 6, Reject: "unknown column", Column: "color"},
		{Line: 8, Values: []any{json.Number("4"), "Dé", map[string]any{"k": json.Number("1.50")}}, Missing: []bool{false, false, false}},
		{Line: 9, Reject: "key appears twice", Column: "id"},
		{Line: 10, Values: []any{json.Number("7"), nil, nil}, Missing: []bool{false, true, true}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got  %+v\n want %+v", got, want)
	}
}

func TestNDJSONReaderCRLFGzip(t *testing.T) {
	rc, _, err := OpenFile(filepath.Join("testdata", "crlf.jsonl.gz"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := readAll(t, NewNDJSONReader(rc, []string{"id"}, 0))
	want := []row{{Line: 1, Values: []any{json.Number("1")}}, {Line: 2, Values: []any{json.Number("2")}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %+v, want %+v", got, want)
	}
}

func TestNDJSONReaderValues(t *testing.T) {
	tests := []struct {
		name string
		line string
		want []any
	}{
		{name: "scalars", line: `{"a":true,"b":false,"c":-1.5e3}`, want: []any{true, false, json.Number("-1.5e3")}},
		{name: "escapes in keys and values", line: `{"\u0061":"x\"y\\z\n","b":"\ud83d\ude00"}`, want: []any{"x\"y\\z\n", "😀", nil}},
		{name: "whitespace everywhere", line: " \t{ \"a\" : [ 1 , {\"x\" : \"}\"} ] , \"c\" :null } ", want: []any{[]any{json.Number("1"), map[string]any{"x": "}"}}, nil, nil}},
		{name: "empty object", line: `{}`, want: []any{nil, nil, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, NewNDJSONReader(strings.NewReader(tt.line), []string{"a", "b", "c"}, 0))
			if len(got) != 1 || got[0].Reject != "" {
				t.Fatalf("rows = %+v", got)
			}
			if !reflect.DeepEqual(got[0].Values, tt.want) {
				t.Errorf("values = %#v, want %#v", got[0].Values, tt.want)
			}
		})
	}
}

func TestNDJSONReaderLongLines(t *testing.T) {
	big := strings.Repeat("x", 600<<10) // past the bufio buffer
	in := `{"a":"` + big + `"}` + "\n" + `{"a":"small"}` + "\n" + `{"a":"` + big + `"}`
	got := readAll(t, NewNDJSONReader(strings.NewReader(in), []string{"a"}, 0))
	if len(got) != 3 {
		t.Fatalf("%d rows, want 3", len(got))
	}
	if got[0].Values[0] != big || got[1].Values[0] != "small" || got[2].Values[0] != big {
		t.Error("long line values garbled")
	}
	if got[0].Line != 1 || got[1].Line != 2 || got[2].Line != 3 {
		t.Errorf("lines %d %d %d", got[0].Line, got[1].Line, got[2].Line)
	}
}

// TestNDJSONReaderTooLong reads lines past a small limit: each is rejected
// with its line and the lines after it load, wherever the long line ends.
func TestNDJSONReaderTooLong(t *testing.T) {
	const limit = 64 << 10
	value := func(n int) string { return `{"a":"` + strings.Repeat("x", n-len(`{"a":""}`)) + `"}` }
	tooLong := "line longer than 64 KiB (the limit on a line); skipped"
	tests := []struct {
		name string
		in   string
		want []row
	}{
		{name: "at the limit", in: value(limit) + "\n" + `{"a":"next"}` + "\n",
			want: []row{{Line: 1, Values: []any{strings.Repeat("x", limit-8)}}, {Line: 2, Values: []any{"next"}}}},
		{name: "one byte over", in: value(limit+1) + "\n" + `{"a":"next"}` + "\n",
			want: []row{{Line: 1, Reject: tooLong}, {Line: 2, Values: []any{"next"}}}},
		{name: "far over", in: `{"a":"next"}` + "\n" + value(20*limit) + "\n" + `{"a":"last"}`,
			want: []row{{Line: 1, Values: []any{"next"}}, {Line: 2, Reject: tooLong}, {Line: 3, Values: []any{"last"}}}},
		{name: "last, no newline", in: `{"a":"next"}` + "\n" + value(5*limit),
			want: []row{{Line: 1, Values: []any{"next"}}, {Line: 2, Reject: tooLong}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, NewNDJSONReader(strings.NewReader(tt.in), []string{"a"}, limit))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows = %.300v, want %.300v", got, tt.want)
			}
		})
	}
}

func FuzzNDJSONReader(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "people.ndjson"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"id":1,"name":"\u00e9","tags":{"a":[1,2,{"b":null}]}}` + "\n\n" + `{"id":"x"}`))
	f.Add([]byte("{\"id\":\"\xff\"}\n{\"id\":1}{\"id\":2}\n"))
	f.Add([]byte(`{"id":1,}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstDecoder(t, data)
		cols := []string{"id", "name", "tags"}
		rd := NewNDJSONReader(strings.NewReader(string(data)), cols, 0)
		last := int64(0)
		for {
			rec, rj, err := rd.Next()
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
				if len(rec.Values) != len(cols) || len(rec.Missing) != len(cols) {
					t.Fatal("values not aligned with columns")
				}
				for i, v := range rec.Values {
					if rec.Missing[i] && v != nil {
						t.Fatalf("missing column %d has value %v", i, v)
					}
				}
			}
			if line <= last {
				t.Fatalf("line %d after line %d", line, last)
			}
			last = line
		}
	})
}

// checkAgainstDecoder compares the reader's fast scanner with
// encoding/json on a single valid line.
func checkAgainstDecoder(t *testing.T, data []byte) {
	if bytes.ContainsAny(data, "\n") || !utf8.Valid(data) || !json.Valid(data) {
		return
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var want map[string]any
	if err := d.Decode(&want); err != nil || want == nil {
		return
	}
	cols := make([]string, 0, len(want))
	for k := range want {
		cols = append(cols, k)
	}
	rec, rj, err := NewNDJSONReader(bytes.NewReader(data), cols, 0).Next()
	if err != nil || rj != nil {
		if rj != nil && rj.Reason == "key appears twice" {
			return
		}
		t.Fatalf("valid object refused: %v %+v", err, rj)
	}
	for i, c := range cols {
		if !reflect.DeepEqual(rec.Values[i], want[c]) {
			t.Fatalf("column %q = %#v, encoding/json says %#v", c, rec.Values[i], want[c])
		}
	}
}

func BenchmarkNDJSONReader(b *testing.B) {
	const rows = 100_000
	var sb strings.Builder
	for i := 0; i < rows; i++ {
		sb.WriteString(`{"customer_id":` + strconv.Itoa(i+1) + `,"email":"user` + strconv.Itoa(i+1) +
			`@example.com","country":"FR","birth_date":"1987-01-15","loyalty_tier":"gold","balance":12.25,` +
			`"created_at":"2024-03-31T09:30:00Z","active":true,"preferences":{"lang":"fr"}}` + "\n")
	}
	data := []byte(sb.String())
	cols := []string{"customer_id", "email", "country", "birth_date", "loyalty_tier", "balance", "created_at", "active", "preferences"}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd := NewNDJSONReader(bytes.NewReader(data), cols, 0)
		for {
			_, rj, err := rd.Next()
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

package ingest

import (
	"bytes"
	"compress/gzip"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenFile(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		format Format
		delim  rune
		head   string
	}{
		{name: "csv with BOM", file: "bom.csv", format: FormatCSV, delim: ',', head: "id, name ,amount\n"},
		{name: "gzip csv", file: "people.csv.gz", format: FormatCSV, delim: ',', head: "id,name,note\n"},
		{name: "tsv", file: "tabs.tsv", format: FormatCSV, delim: '\t', head: "id\tname\tnote\n"},
		{name: "ndjson", file: "people.ndjson", format: FormatNDJSON, delim: ',', head: `{"id": 1,`},
		{name: "gzip jsonl", file: "crlf.jsonl.gz", format: FormatNDJSON, delim: ',', head: "{\"id\": 1}\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			rc, format, err := OpenFile(path, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if format != tt.format {
				t.Errorf("format = %q, want %q", format, tt.format)
			}
			if d := DelimiterFor(path); d != tt.delim {
				t.Errorf("DelimiterFor = %q, want %q", d, tt.delim)
			}
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), tt.head) {
				t.Errorf("content starts %q, want %q", b[:min(len(b), 30)], tt.head)
			}
		})
	}
}

func TestOpenFileErrors(t *testing.T) {
	if _, _, err := OpenFile("testdata/does-not-exist.csv", Limits{}); err == nil {
		t.Error("missing file: no error")
	}
	if _, _, err := OpenFile("testdata", Limits{}); err == nil {
		t.Error("directory without extension: no error")
	}
}

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOpenStream(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		file    string
		format  Format
		want    string
		wantFmt Format
		wantErr string
	}{
		{name: "plain csv", in: []byte("a,b\n"), file: "x.csv", want: "a,b\n", wantFmt: FormatCSV},
		{name: "BOM stripped", in: []byte("\xef\xbb\xbfa\n"), file: "x.csv", want: "a\n", wantFmt: FormatCSV},
		{name: "gzip without .gz name", in: gzipped(t, "a\n"), file: "x.csv", want: "a\n", wantFmt: FormatCSV},
		{name: "gzip with BOM inside", in: gzipped(t, "\xef\xbb\xbf{}\n"), file: "x.ndjson.gz", want: "{}\n", wantFmt: FormatNDJSON},
		{name: ".gz name with plain content", in: []byte("a\n"), file: "x.csv.gz", want: "a\n", wantFmt: FormatCSV},
		{name: "format given overrides name", in: []byte("{}\n"), file: "upload", format: FormatNDJSON, want: "{}\n", wantFmt: FormatNDJSON},
		{name: "empty", in: nil, file: "x.jsonl", want: "", wantFmt: FormatNDJSON},
		{name: "unknown extension", in: []byte("a\n"), file: "x.xlsx", wantErr: "cannot tell the format"},
		{name: "unknown format", in: []byte("a\n"), file: "x.csv", format: "xml", wantErr: "unknown format"},
		{name: "UTF-16", in: []byte("\xff\xfea\x00"), file: "x.csv", wantErr: "UTF-16"},
		{name: "broken gzip", in: []byte{0x1f, 0x8b, 0, 0}, file: "x.csv.gz", wantErr: "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f, err := OpenStream(bytes.NewReader(tt.in), tt.file, tt.format, Limits{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f != tt.wantFmt {
				t.Errorf("format = %q, want %q", f, tt.wantFmt)
			}
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("content = %q, want %q", b, tt.want)
			}
		})
	}
}

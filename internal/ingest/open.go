package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// openBufferSize is the read buffer in front of the file and behind the
// gzip decompressor: large enough that reads are few, small enough to be
// allocated once per import without thought.
const openBufferSize = 256 << 10

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
	gzipMagic  = []byte{0x1F, 0x8B}
)

// OpenFile opens the file at path for import: it decompresses gzip (detected
// by its magic bytes, whatever the name), strips a UTF-8 byte order mark and
// tells the format from the extension (.csv, .tsv, .ndjson, .jsonl, .json,
// each optionally followed by .gz). lim caps what a gzip file may inflate
// to. Closing the returned reader closes the file.
func OpenFile(path string, lim Limits) (io.ReadCloser, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("open import file: %w", err)
	}
	r, format, err := openStream(f, filepath.Base(path), "", lim)
	if err != nil {
		f.Close()
		return nil, "", err
	}
	return &fileReader{Reader: r, file: f}, format, nil
}

// OpenStream prepares r, an import file called name, for reading: it
// decompresses gzip (detected by magic bytes), strips a UTF-8 byte order
// mark and, when format is empty, tells the format from the name's
// extension. name is used only for the format and in error messages. A
// gzip stream that inflates past lim fails its reads with ErrInflateLimit.
func OpenStream(r io.Reader, name string, format Format, lim Limits) (io.Reader, Format, error) {
	out, f, err := openStream(r, name, format, lim)
	if err != nil {
		return nil, "", err
	}
	return out, f, nil
}

func openStream(r io.Reader, name string, format Format, lim Limits) (*bufio.Reader, Format, error) {
	switch format {
	case "":
		f, err := FormatFromName(name)
		if err != nil {
			return nil, "", err
		}
		format = f
	case FormatCSV, FormatNDJSON:
	default:
		return nil, "", fmt.Errorf("%s: unknown format %q, want %q or %q", name, format, FormatCSV, FormatNDJSON)
	}
	compressed := &countingReader{r: r}
	br := bufio.NewReaderSize(compressed, openBufferSize)
	magic, err := br.Peek(len(gzipMagic))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("%s: read: %w", name, err)
	}
	if bytes.Equal(magic, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", fmt.Errorf("%s: not a valid gzip file: %w", name, err)
		}
		br = bufio.NewReaderSize(newInflateGuard(zr, compressed, name, lim), openBufferSize)
	}
	// A .gz name with plain content is read as it is: it happens when an
	// HTTP client has already undone Content-Encoding: gzip.
	if err := skipBOM(br, name); err != nil {
		return nil, "", err
	}
	return br, format, nil
}

// skipBOM drops a UTF-8 byte order mark and refuses UTF-16, which would
// otherwise surface as a confusing "invalid UTF-8" on every row.
func skipBOM(br *bufio.Reader, name string) error {
	head, err := br.Peek(len(bomUTF8))
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: read: %w", name, err)
	}
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		_, _ = br.Discard(len(bomUTF8))
	case bytes.HasPrefix(head, bomUTF16LE), bytes.HasPrefix(head, bomUTF16BE):
		return fmt.Errorf("%s: file is UTF-16 encoded; save it as UTF-8", name)
	}
	return nil
}

// FormatFromName tells a file's format from its name's extension, ignoring
// a final .gz: .csv and .tsv are CSV, .ndjson, .jsonl and .json are NDJSON.
func FormatFromName(name string) (Format, error) {
	switch importExt(name) {
	case ".csv", ".tsv":
		return FormatCSV, nil
	case ".ndjson", ".jsonl", ".json":
		return FormatNDJSON, nil
	}
	return "", fmt.Errorf("%s: cannot tell the format from the name: use .csv, .tsv, .ndjson, .jsonl or .json (optionally .gz), or give the format", name)
}

// DelimiterFor suggests the CSV delimiter for a file name: a tab for .tsv
// (and .tsv.gz), a comma otherwise.
func DelimiterFor(name string) rune {
	if importExt(name) == ".tsv" {
		return '\t'
	}
	return ','
}

// importExt returns the lower-cased extension of name with a final .gz
// removed.
func importExt(name string) string {
	n := strings.ToLower(name)
	n = strings.TrimSuffix(n, ".gz")
	return filepath.Ext(n)
}

// fileReader reads the prepared stream and closes the underlying file.
type fileReader struct {
	io.Reader
	file *os.File
}

func (f *fileReader) Close() error { return f.file.Close() }

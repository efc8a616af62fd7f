package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"
)

// guardFill is how many bytes of whole records the guard gathers before
// handing them on, so that small records do not cost a call each.
const guardFill = 32 << 10

// skippedRecord is a record the guard replaced by one empty line.
type skippedRecord struct {
	// csvLine is the line number encoding/csv gives the empty line.
	csvLine int64
	// line is the record's first line in the file; lines how many lines
	// it spanned.
	line, lines int64
}

// recordGuard sits between a CSV file and encoding/csv, which holds a whole
// record in memory however long it is (a 1 GB field with no newline costs
// gigabytes). It passes whole records on and replaces one longer than max
// by an empty line, which encoding/csv skips, after reading to its end
// without keeping it. Records end where encoding/csv ends them (see
// csvScanner), so a stray quote costs one line, as it does there.
type recordGuard struct {
	src  *bufio.Reader
	max  int
	scan csvScanner
	// buf holds records to hand on (buf[pos:done]) and then the record
	// being read (buf[done:]).
	buf       []byte
	pos, done int
	line      int64 // lines of the file read so far
	start     int64 // first line of the record being read
	csvLines  int64 // lines handed on so far
	skipped   []skippedRecord
	err       error
	// notUTF8 is set once bytes that are not UTF-8 have been handed on:
	// until then no field needs checking, which saves a pass per field.
	notUTF8 bool
}

func newRecordGuard(r io.Reader, max int, delim rune, lazy bool) *recordGuard {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &recordGuard{src: br, max: max, scan: newCSVScanner(delim, lazy), start: 1}
}

func (g *recordGuard) Read(p []byte) (int, error) {
	if g.pos == len(g.buf) && g.scan.st == atFieldStart && g.err == nil {
		if n := g.direct(p); n > 0 {
			return n, nil
		}
	}
	for g.pos == g.done {
		if g.err != nil {
			return 0, g.err
		}
		g.fill()
	}
	n := copy(p, g.buf[g.pos:g.done])
	g.pos += n
	return n, nil
}

// direct hands on the whole lines at hand when none has a quote, straight
// from the read buffer: they are records, and none is longer than max when
// all of them together are not. It is the common case, and costs a few
// vectorised searches instead of a scan per line.
func (g *recordGuard) direct(p []byte) int {
	w, _ := g.src.Peek(min(g.src.Buffered(), len(p)))
	if len(w) == 0 || len(w) > g.max || bytes.IndexByte(w, '"') >= 0 {
		return 0
	}
	last := bytes.LastIndexByte(w, '\n')
	if last < 0 {
		return 0
	}
	n := copy(p, w[:last+1])
	if !g.notUTF8 && !utf8.Valid(w[:n]) {
		g.notUTF8 = true
	}
	lines := int64(bytes.Count(w[:n], newline))
	_, _ = g.src.Discard(n)
	g.buf, g.pos, g.done = g.buf[:0], 0, 0
	g.line += lines
	g.csvLines += lines
	g.start = g.line + 1
	return n
}

var newline = []byte{'\n'}

// fill reads until at least one whole record (or a stand-in) is ready and
// then on while more are at hand without waiting, up to guardFill bytes.
func (g *recordGuard) fill() {
	n := copy(g.buf, g.buf[g.pos:])
	g.buf, g.done, g.pos = g.buf[:n], g.done-g.pos, 0
	for g.err == nil && (g.done == 0 || (g.done < guardFill && g.src.Buffered() > 0)) {
		chunk, err := g.src.ReadSlice('\n')
		if len(g.buf)-g.done+len(chunk) > g.max {
			g.skip(chunk, err)
			continue
		}
		g.buf = append(g.buf, chunk...)
		// A rune cut between two pieces of a long line looks invalid:
		// then fields are checked one by one, which is only slower.
		if !g.notUTF8 && !utf8.Valid(chunk) {
			g.notUTF8 = true
		}
		ends := g.scan.line(chunk)
		switch {
		case err == nil:
			g.line++
			if ends {
				g.endRecord()
			}
		case errors.Is(err, bufio.ErrBufferFull):
		default:
			// At the end, what is left goes on as it is: encoding/csv
			// reports a quote left open.
			g.done, g.err = len(g.buf), err
		}
	}
}

func (g *recordGuard) endRecord() {
	g.csvLines += int64(bytes.Count(g.buf[g.done:], newline))
	g.done = len(g.buf)
	g.start = g.line + 1
}

// skip drops the record being read, which outgrew max, reading on to its
// end, and hands on an empty line in its place.
func (g *recordGuard) skip(chunk []byte, err error) {
	g.buf = g.buf[:g.done]
	for {
		ends := g.scan.line(chunk)
		if err == nil {
			g.line++
			if ends {
				break
			}
		} else if !errors.Is(err, bufio.ErrBufferFull) {
			g.err = err
			break
		}
		chunk, err = g.src.ReadSlice('\n')
	}
	lines := g.line - g.start + 1
	if g.err != nil {
		lines++ // the last line, which has no newline
	}
	g.buf = append(g.buf, '\n')
	g.skipped = append(g.skipped, skippedRecord{csvLine: g.csvLines + 1, line: g.start, lines: lines})
	g.endRecord()
}

// next returns the first skipped record that encoding/csv has passed by the
// time it reports csvLine, and forgets it.
func (g *recordGuard) next(csvLine int64) (skippedRecord, bool) {
	if len(g.skipped) == 0 || g.skipped[0].csvLine >= csvLine {
		return skippedRecord{}, false
	}
	s := g.skipped[0]
	g.skipped = g.skipped[1:]
	return s, true
}

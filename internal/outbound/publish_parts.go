package outbound

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// The headers of an audience's publication to a webhook.
const (
	HeaderAudience        = "Fanfare-Audience"
	HeaderAudienceVersion = "Fanfare-Audience-Version"
	HeaderAudiencePart    = "Fanfare-Audience-Part"
	HeaderAudienceLast    = "Fanfare-Audience-Last"
)

// The kinds a part of an audience's publication is stored under as a
// dead letter, its version as first_seq and its part as last_seq (the
// kind says whether it was the last, which its redelivery repeats). A
// dead letter of kind KindAudience is a whole publication, as they were
// posted before publications were cut into parts.
const (
	storedPart     = "audience-part"
	storedLastPart = "audience-last-part"
)

// publishParts posts an audience's version to a webhook in parts of at
// most the destination's AudiencePart rows, each signed, retried and
// dead-lettered on its own, and stops at a part refused every time.
//
// The export is first written to a temporary file, which the parts are
// then read from: the export's query runs within its time limit however
// slow the receiver or long its retries, and only one part is in memory
// at a time. The file is unlinked as soon as it is made, so that nothing
// is left behind whatever happens; it takes the audience's size on the
// disk of the temporary directory ($TMPDIR).
func (s *Set) publishParts(ctx context.Context, d *Destination, p Publication, version int64, export Export) (string, error) {
	spool, err := os.CreateTemp("", "fanfare-audience-*")
	if err != nil {
		return "", fmt.Errorf("spool the export: %w", err)
	}
	defer spool.Close()
	os.Remove(spool.Name())
	if err := export(spool); err != nil {
		return "", err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("spool the export: %w", err)
	}
	hook := s.webhook(d)
	parts := newParts(spool, p.Format == "csv", d.AudiencePart)
	for {
		body, rows, last, err := parts.next()
		if err != nil {
			return "", fmt.Errorf("read part %d of the export: %w", parts.n, err)
		}
		id, contentType, extra := audienceRequest(d.Name, p.Audience, version, parts.n, last, p.Format)
		attempts, err := hook.Post(ctx, id, contentType, extra, body, d.Attempts)
		if err == nil {
			if last {
				return id, nil
			}
			continue
		}
		if ctx.Err() != nil {
			return "", err
		}
		kind := storedPart
		if last {
			kind = storedLastPart
		}
		dl := store.DeadLetter{Destination: d.Name, Kind: kind, Subject: p.Audience, FirstSeq: version, LastSeq: int64(parts.n),
			Items: int64(rows), Body: string(body), Attempts: attempts, Error: err.Error(), CreatedAt: s.now()}
		dlID, derr := s.store.Outbound().AddDeadLetter(ctx, dl)
		if derr != nil {
			return "", fmt.Errorf("part %d: %w (and keep it as a dead letter: %v)", parts.n, err, derr)
		}
		s.log.Warn("audience publication part kept as a dead letter", "audience", p.Audience, "destination", d.Name,
			"version", version, "part", parts.n, "dead_letter", dlID, "err", err)
		return "", fmt.Errorf("publish audience %s to %s: part %d kept as dead letter %d, the parts after it not sent: %w: %v",
			p.Audience, d.Name, parts.n, dlID, ErrDeliveryFailed, err)
	}
}

// audienceRequest is the webhook id, content type and headers of a part
// of an audience's publication; part 0 is a whole publication, as a dead
// letter kept before publications had parts.
func audienceRequest(dest, audience string, version int64, part int, last bool, format string) (string, string, http.Header) {
	ct := "text/csv"
	if format == "ndjson" {
		ct = "application/x-ndjson"
	}
	h := http.Header{}
	h.Set(HeaderAudience, audience)
	h.Set(HeaderAudienceVersion, strconv.FormatInt(version, 10))
	id := fmt.Sprintf("%s-audience-%s-%d", dest, audience, version)
	if part > 0 {
		h.Set(HeaderAudiencePart, strconv.Itoa(part))
		h.Set(HeaderAudienceLast, strconv.FormatBool(last))
		id += "-" + strconv.Itoa(part)
	}
	return id, ct, h
}

// formatOf tells a dead letter's format by its body: a CSV part always
// starts with its header line, an NDJSON line with '{'.
func formatOf(body string) string {
	if body == "" || body[0] == '{' {
		return "ndjson"
	}
	return "csv"
}

// parts cuts an export into parts of at most rows rows, a CSV's header
// line repeated at the start of each. A CSV record may span lines (a
// value holding a line break is quoted), so a record ends at the first
// line break after an even number of quotes: encoding/csv doubles the
// quotes inside a quoted value.
type parts struct {
	r      *bufio.Reader
	csv    bool
	rows   int
	header []byte
	buf    []byte
	eof    bool
	// n is the number of the part last returned, from 1.
	n int
}

func newParts(r io.Reader, csv bool, rows int) *parts {
	return &parts{r: bufio.NewReaderSize(r, 64<<10), csv: csv, rows: rows}
}

// next returns the next part, its rows, and whether it is the last. The
// body is valid until the next call. An empty export is one empty part
// (a CSV's: its header alone), so that the receiver learns of the
// version.
func (p *parts) next() (body []byte, rows int, last bool, err error) {
	p.n++
	body = p.buf[:0]
	if p.csv {
		if p.header == nil && !p.eof {
			if p.header, err = p.record(nil); errors.Is(err, io.EOF) {
				p.eof = true
			} else if err != nil {
				return nil, 0, false, err
			}
		}
		body = append(body, p.header...)
	}
	for rows < p.rows && !p.eof {
		before := len(body)
		body, err = p.record(body)
		if errors.Is(err, io.EOF) {
			p.eof = true
			if len(body) > before {
				rows++
			}
			break
		}
		if err != nil {
			return nil, 0, false, err
		}
		rows++
	}
	if !p.eof {
		if _, err := p.r.Peek(1); errors.Is(err, io.EOF) {
			p.eof = true
		} else if err != nil {
			return nil, 0, false, err
		}
	}
	p.buf = body
	return body, rows, p.eof, nil
}

// record appends the next record, with its line break, to dst; io.EOF
// when the export ends (after the last record's bytes, if it had no line
// break).
func (p *parts) record(dst []byte) ([]byte, error) {
	quotes := 0
	for {
		line, err := p.r.ReadSlice('\n')
		dst = append(dst, line...)
		if p.csv {
			quotes += bytes.Count(line, []byte{'"'})
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
		case err != nil:
			return dst, err
		case quotes%2 == 0:
			return dst, nil
		}
	}
}

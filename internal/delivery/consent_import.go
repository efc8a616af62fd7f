package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ConsentImport is what importing a consent file did.
type ConsentImport struct {
	Rows int `json:"rows"`
	// Accepted rows were recorded, unless consent recorded later stands.
	Accepted int             `json:"accepted"`
	Rejects  []ConsentReject `json:"rejects,omitempty"`
}

// ConsentReject is a row of a consent file that was not applied.
type ConsentReject struct {
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

// ErrConsentFile is a consent file that cannot be read at all (its
// header, its dimension); rows with a problem are rejects instead.
var ErrConsentFile = errors.New("consent file")

// maxConsentRejects bounds the rejects an import reports.
const maxConsentRejects = 1000

// consentRow is one row of a consent file to record.
type consentRow struct {
	key, ch, status, source string
	at                      time.Time
}

// ImportConsent records consent from a CSV file: a header naming the
// dimension's key attributes, "channel" and "status" (opt_in or opt_out),
// and optionally "updated_at" (RFC 3339; default now) and "source"
// (default source). Rows with a problem are reported with their line and
// column and the others applied, in one transaction. The file is read
// within lim, like an import: it may be gzipped, and a row longer than the
// line limit, holding bytes that are not UTF-8 or with a number of fields
// unlike the header's is a reject. A row never replaces consent recorded
// later than it (an unsubscribe after the export the file came from
// stands).
func ImportConsent(ctx context.Context, s *store.Store, m *datamodel.Model, dimension string, r io.Reader, source string, now time.Time, lim ingest.Limits) (*ConsentImport, error) {
	dim := m.Entity(dimension)
	if dim == nil {
		return nil, fmt.Errorf("%w: unknown dimension %q", ErrConsentFile, dimension)
	}
	if source == "" {
		source = "import"
	}
	source = strings.ToValidUTF8(source, "\uFFFD")
	cr, err := openConsentFile(r, dim, lim)
	if err != nil {
		return nil, err
	}
	res := &ConsentImport{}
	reject := func(line int64, column, value, reason string) {
		if len(res.Rejects) < maxConsentRejects {
			res.Rejects = append(res.Rejects, ConsentReject{Line: int(line), Column: column, Value: value, Reason: reason})
		}
	}
	var rows []consentRow
	index := map[string]int{}
	for {
		rec, rj, err := cr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConsentFile, err)
		}
		res.Rows++
		if rj != nil {
			reject(rj.Line, rj.Column, rj.Value, rj.Reason)
			continue
		}
		row, ok := readConsentRow(dim, rec, source, now, reject)
		if !ok {
			continue
		}
		res.Accepted++
		// A file may name a profile and channel twice: the newest row wins
		// (the last of equals), as if applied one by one.
		k := row.key + "\x00" + row.ch
		if i, seen := index[k]; seen {
			if !row.at.Before(rows[i].at) {
				rows[i] = row
			}
			continue
		}
		index[k] = len(rows)
		rows = append(rows, row)
	}
	if err := recordConsent(ctx, s, dimension, rows); err != nil {
		return nil, err
	}
	return res, nil
}

// consentColumns are the columns a consent file may have after its
// dimension's key attributes, in the order readConsentRow reads them.
var consentColumns = []string{"channel", "status", "updated_at", "source"}

// openConsentFile reads a consent file like an import (gzip and line
// limits, a UTF-8 byte order mark dropped, a row that is not UTF-8
// rejected) and checks its header.
func openConsentFile(r io.Reader, dim *datamodel.Entity, lim ingest.Limits) (*ingest.CSVReader, error) {
	body, _, err := ingest.OpenStream(r, "consent file", ingest.FormatCSV, lim)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConsentFile, err)
	}
	cr, err := ingest.NewCSVReader(body, ingest.CSVOptions{MaxRecord: lim.MaxLine})
	if err != nil {
		return nil, fmt.Errorf("%w: read the header: %w", ErrConsentFile, err)
	}
	have := map[string]bool{}
	for _, h := range cr.Header() {
		have[h] = true
	}
	for _, k := range dim.Key {
		if !have[k] {
			return nil, fmt.Errorf("%w: the header must name %s's key attribute %q", ErrConsentFile, dim.Name, k)
		}
		if a := dim.Attribute(k); a == nil || (a.Type != datamodel.TypeInteger && a.Type != datamodel.TypeString) {
			return nil, fmt.Errorf("%w: key attribute %q must be an integer or a string", ErrConsentFile, k)
		}
	}
	for _, need := range consentColumns[:2] {
		if !have[need] {
			return nil, fmt.Errorf("%w: the header must name %q", ErrConsentFile, need)
		}
	}
	if err := cr.Bind(append(append([]string(nil), dim.Key...), consentColumns...)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConsentFile, err)
	}
	return cr, nil
}

// readConsentRow checks one record, bound to the key attributes then
// consentColumns, and reports each problem.
func readConsentRow(dim *datamodel.Entity, rec *ingest.Record, source string, now time.Time, reject func(line int64, column, value, reason string)) (consentRow, bool) {
	line := rec.Line
	nk := len(dim.Key)
	field := func(i int) string { return strings.TrimSpace(rec.Values[i].(string)) }
	values := make([]any, nk)
	ok := true
	for i, k := range dim.Key {
		v := field(i)
		switch {
		case v == "":
			reject(line, k, v, "missing")
			ok = false
		case dim.Attribute(k).Type == datamodel.TypeInteger:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				reject(line, k, ingest.ReportValue(v), "not an integer")
				ok = false
			}
			values[i] = n
		default:
			values[i] = v
		}
	}
	row := consentRow{ch: field(nk), status: field(nk + 1), source: source, at: now}
	switch row.ch {
	case channel.Email, channel.SMS, channel.Push:
	default:
		reject(line, "channel", ingest.ReportValue(row.ch), "must be email, sms or push")
		ok = false
	}
	if row.status != OptIn && row.status != OptOut {
		reject(line, "status", ingest.ReportValue(row.status), "must be opt_in or opt_out")
		ok = false
	}
	if v := field(nk + 2); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			reject(line, "updated_at", ingest.ReportValue(v), "not an RFC 3339 time")
			ok = false
		}
		row.at = t
	}
	if v := field(nk + 3); v != "" {
		row.source = v
	}
	if !ok {
		return row, false
	}
	key, err := ProfileKey(dim.Key, values)
	if err != nil {
		reject(line, "", "", err.Error())
		return row, false
	}
	row.key, row.source, row.at = key, clip(row.source), row.at.UTC()
	return row, true
}

// recordConsent writes rows in one transaction, never over consent
// recorded later.
func recordConsent(ctx context.Context, s *store.Store, dimension string, rows []consentRow) error {
	recs := make([]store.ConsentRecord, len(rows))
	for i, r := range rows {
		recs[i] = store.ConsentRecord{Dimension: dimension, ProfileKey: r.key, Channel: r.ch, Status: r.status, Source: r.source, UpdatedAt: r.at}
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.Consent().On(tx).Import(ctx, dimension, recs); err != nil {
			return fmt.Errorf("record consent: %w", err)
		}
		return nil
	})
}

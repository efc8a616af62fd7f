package delivery

import (
	"context"
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
	rd, err := openConsentFile(r, dim, lim)
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
	p := &ingest.Pipeline{
		Fields:    consentFields(dim),
		TrimSpace: true,
		Rejected: func(problems []ingest.Reject) error {
			for _, rj := range problems {
				reject(rj.Line, rj.Column, ingest.ReportValue(rj.Value), rj.Reason)
			}
			return nil
		},
		Row: func(r []any) error {
			row, err := consentRowOf(dim, r, source, now)
			if err != nil {
				reject(r[0].(int64), "", "", err.Error())
				return nil
			}
			res.Accepted++
			// A file may name a profile and channel twice: the newest row
			// wins (the last of equals), as if applied one by one.
			k := row.key + "\x00" + row.ch
			if i, seen := index[k]; seen {
				if !row.at.Before(rows[i].at) {
					rows[i] = row
				}
				return nil
			}
			index[k] = len(rows)
			rows = append(rows, row)
			return nil
		},
	}
	n, err := p.Run(rd)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConsentFile, err)
	}
	res.Rows = int(n)
	if err := recordConsent(ctx, s, dimension, rows); err != nil {
		return nil, err
	}
	return res, nil
}

// consentColumns are the columns a consent file may have after its
// dimension's key attributes, in the order consentFields reads them.
var consentColumns = []string{"channel", "status", "updated_at", "source"}

// openConsentFile reads a consent file like an import (gzip and line
// limits, a UTF-8 byte order mark dropped, a row that is not UTF-8
// rejected) and checks its header.
func openConsentFile(r io.Reader, dim *datamodel.Entity, lim ingest.Limits) (*ingest.Records, error) {
	body, _, err := ingest.OpenStream(r, "consent file", ingest.FormatCSV, lim)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConsentFile, err)
	}
	cr, err := ingest.NewRecords(body, ingest.ReadOptions{Format: ingest.FormatCSV, Limits: lim})
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

// Reasons a consent file's value is refused.
var (
	errConsentMissing   = errors.New("missing")
	errConsentInteger   = errors.New("not an integer")
	errConsentChannel   = errors.New("must be email, sms or push")
	errConsentStatus    = errors.New("must be opt_in or opt_out")
	errConsentUpdatedAt = errors.New("not an RFC 3339 time")
)

// convertUpdatedAt reads updated_at: empty (null, meaning now) or RFC 3339.
func convertUpdatedAt(raw any) (any, error) {
	v := raw.(string)
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, errConsentUpdatedAt
	}
	return t, nil
}

// convertSource reads source: empty (null, meaning the import's) or text.
func convertSource(raw any) (any, error) { return consentText(raw) }

// consentText is the check of an import's string attribute: text either
// store can hold (no NUL byte, which PostgreSQL refuses, failing the whole
// file), empty being null.
var consentText = ingest.ConverterFor(&datamodel.Attribute{Type: datamodel.TypeString}, nil)

// consentFields are the fields of a consent file, bound to the key
// attributes then consentColumns; values arrive trimmed.
func consentFields(dim *datamodel.Entity) []ingest.Field {
	var fields []ingest.Field
	for _, k := range dim.Key {
		integer := dim.Attribute(k).Type == datamodel.TypeInteger
		fields = append(fields, ingest.Field{Name: k, Convert: func(raw any) (any, error) {
			v := raw.(string)
			switch {
			case v == "":
				return nil, errConsentMissing
			case integer:
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, errConsentInteger
				}
				return n, nil
			}
			return consentText(v)
		}})
	}
	return append(fields,
		ingest.Field{Name: "channel", Convert: func(raw any) (any, error) {
			switch v := raw.(string); v {
			case channel.Email, channel.SMS, channel.Push:
				return v, nil
			}
			return nil, errConsentChannel
		}},
		ingest.Field{Name: "status", Convert: func(raw any) (any, error) {
			if v := raw.(string); v == OptIn || v == OptOut {
				return v, nil
			}
			return nil, errConsentStatus
		}},
		ingest.Field{Name: "updated_at", Convert: convertUpdatedAt},
		ingest.Field{Name: "source", Convert: convertSource},
	)
}

// consentRowOf makes the consent to record of a converted row: its line,
// the key values, then consentColumns. A row without updated_at is
// recorded at now, one without source from source.
func consentRowOf(dim *datamodel.Entity, r []any, source string, now time.Time) (consentRow, error) {
	nk := len(dim.Key)
	key, err := ProfileKey(dim.Key, r[1:1+nk])
	if err != nil {
		return consentRow{}, err
	}
	row := consentRow{key: key, ch: r[1+nk].(string), status: r[2+nk].(string), source: source, at: now}
	if t, ok := r[3+nk].(time.Time); ok {
		row.at = t
	}
	if s, ok := r[4+nk].(string); ok {
		row.source = s
	}
	row.source, row.at = clip(row.source), row.at.UTC()
	return row, nil
}

// recordConsent writes rows in one transaction, never over consent
// recorded later.
func recordConsent(ctx context.Context, s *store.Store, dimension string, rows []consentRow) error {
	recs := make([]store.ConsentRecord, len(rows))
	for i, r := range rows {
		recs[i] = store.ConsentRecord{Dimension: dimension, ProfileKey: r.key, Channel: r.ch, Status: r.status, Source: r.source, UpdatedAt: r.at}
	}
	return s.InTx(ctx, func(tx *store.Tx) error {
		if err := s.Consent().On(tx).Import(ctx, dimension, recs); err != nil {
			return fmt.Errorf("record consent: %w", err)
		}
		return nil
	})
}

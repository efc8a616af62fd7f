package delivery

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
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

// ImportConsent records consent from a CSV file: a header naming the
// dimension's key attributes, "channel" and "status" (opt_in or opt_out),
// and optionally "updated_at" (RFC 3339; default now) and "source"
// (default source). Rows with a problem are reported with their line and
// column and the others applied, in one transaction. A row never replaces
// consent recorded later than it (an unsubscribe after the export the
// file came from stands).
func ImportConsent(ctx context.Context, s *store.Store, m *datamodel.Model, dimension string, r io.Reader, source string, now time.Time) (*ConsentImport, error) {
	dim := m.Entity(dimension)
	if dim == nil {
		return nil, fmt.Errorf("%w: unknown dimension %q", ErrConsentFile, dimension)
	}
	if source == "" {
		source = "import"
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: read the header: %w", ErrConsentFile, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	keyCols := make([]int, len(dim.Key))
	for i, k := range dim.Key {
		c, ok := col[k]
		if !ok {
			return nil, fmt.Errorf("%w: the header must name %s's key attribute %q", ErrConsentFile, dimension, k)
		}
		keyCols[i] = c
		if a := dim.Attribute(k); a == nil || (a.Type != datamodel.TypeInteger && a.Type != datamodel.TypeString) {
			return nil, fmt.Errorf("%w: key attribute %q must be an integer or a string", ErrConsentFile, k)
		}
	}
	for _, need := range []string{"channel", "status"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%w: the header must name %q", ErrConsentFile, need)
		}
	}
	res := &ConsentImport{}
	type row struct {
		key, ch, status, source string
		at                      time.Time
	}
	var rows []row
	index := map[string]int{}
	reject := func(line int, column, value, reason string) {
		if len(res.Rejects) < maxConsentRejects {
			res.Rejects = append(res.Rejects, ConsentReject{Line: line, Column: column, Value: value, Reason: reason})
		}
	}
	field := func(rec []string, name string) string {
		if c, ok := col[name]; ok && c < len(rec) {
			return strings.TrimSpace(rec[c])
		}
		return ""
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				res.Rows++
				reject(pe.Line, "", "", pe.Err.Error())
				continue
			}
			return nil, fmt.Errorf("%w: %w", ErrConsentFile, err)
		}
		res.Rows++
		values := make([]any, len(dim.Key))
		ok := true
		for i, k := range dim.Key {
			v := ""
			if keyCols[i] < len(rec) {
				v = strings.TrimSpace(rec[keyCols[i]])
			}
			switch {
			case v == "":
				reject(line, k, v, "missing")
				ok = false
			case dim.Attribute(k).Type == datamodel.TypeInteger:
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					reject(line, k, v, "not an integer")
					ok = false
				}
				values[i] = n
			default:
				values[i] = v
			}
		}
		ch, status := field(rec, "channel"), field(rec, "status")
		switch ch {
		case channel.Email, channel.SMS, channel.Push:
		default:
			reject(line, "channel", ch, "must be email, sms or push")
			ok = false
		}
		if status != OptIn && status != OptOut {
			reject(line, "status", status, "must be opt_in or opt_out")
			ok = false
		}
		at := now
		if v := field(rec, "updated_at"); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				reject(line, "updated_at", v, "not an RFC 3339 time")
				ok = false
			}
			at = t
		}
		src := source
		if v := field(rec, "source"); v != "" {
			src = v
		}
		if !ok {
			continue
		}
		key, err := ProfileKey(dim.Key, values)
		if err != nil {
			reject(line, "", "", err.Error())
			continue
		}
		res.Accepted++
		// A file may name a profile and channel twice: the newest row wins
		// (the last of equals), as if applied one by one.
		k := key + "\x00" + ch
		if i, seen := index[k]; seen {
			if !at.Before(rows[i].at) {
				rows[i] = row{key, ch, status, clip(src), at.UTC()}
			}
			continue
		}
		index[k] = len(rows)
		rows = append(rows, row{key, ch, status, clip(src), at.UTC()})
	}
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for len(rows) > 0 {
		n := min(len(rows), 500)
		var values []string
		args := []any{dimension}
		for _, r := range rows[:n] {
			args = append(args, r.key, r.ch, r.status, r.source, r.at)
			k := len(args)
			values = append(values, fmt.Sprintf("($1, $%d, $%d, $%d, $%d, $%d)", k-4, k-3, k-2, k-1, k))
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO ff_consent (dimension, profile_key, channel, status, source, updated_at) VALUES `+strings.Join(values, ", ")+`
			ON CONFLICT (dimension, profile_key, channel) DO UPDATE SET status = excluded.status, source = excluded.source, updated_at = excluded.updated_at
			WHERE ff_consent.updated_at <= excluded.updated_at`, args...)
		if err != nil {
			return nil, fmt.Errorf("record consent: %w", err)
		}
		rows = rows[n:]
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return res, nil
}

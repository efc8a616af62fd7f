package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Consent statuses, as ff_consent keeps them.
const (
	ConsentOptIn  = "opt_in"
	ConsentOptOut = "opt_out"
)

// Consent is the consent table, ff_consent: a profile's choice per
// channel, which every send obeys.
type Consent struct{ area }

// Consent returns the consent area.
func (s *Store) Consent() Consent { return Consent{s.area()} }

// On returns the same area running on q (a transaction, a connection).
func (c Consent) On(q Querier) Consent { return Consent{c.area.on(q)} }

// ConsentRecord is a profile's consent for one channel.
type ConsentRecord struct {
	Dimension  string
	ProfileKey string
	Channel    string
	Status     string
	Source     string
	UpdatedAt  time.Time
}

// consentUpsert writes a consent record over the profile's for the
// channel; callers add a WHERE to the update.
const consentUpsert = `INSERT INTO ff_consent (dimension, profile_key, channel, status, source, updated_at) VALUES %s
	ON CONFLICT (dimension, profile_key, channel) DO UPDATE SET status = excluded.status, source = excluded.source, updated_at = excluded.updated_at`

// Set records r, replacing the profile's consent for the channel.
func (c Consent) Set(ctx context.Context, r ConsentRecord) error {
	_, err := c.exec(ctx, fmt.Sprintf(consentUpsert, "($1, $2, $3, $4, $5, $6)"),
		r.Dimension, r.ProfileKey, r.Channel, r.Status, r.Source, r.UpdatedAt.UTC())
	return err
}

// Unsubscribe records r, an opt-out from a message made at sent, unless
// the profile's consent changed after sent (a replayed old link does not
// undo a newer choice) or already is an opt-out (which keeps its date and
// source). It reports whether the profile is now opted out.
func (c Consent) Unsubscribe(ctx context.Context, r ConsentRecord, sent time.Time) (bool, error) {
	_, err := c.exec(ctx, fmt.Sprintf(consentUpsert, "($1, $2, $3, $4, $5, $6)")+`
		WHERE ff_consent.status <> $4 AND ff_consent.updated_at <= $7`,
		r.Dimension, r.ProfileKey, r.Channel, ConsentOptOut, r.Source, r.UpdatedAt.UTC(), sent.UTC())
	if err != nil {
		return false, err
	}
	var status string
	err = c.row(ctx, []any{&status}, `SELECT status FROM ff_consent WHERE dimension = $1 AND profile_key = $2 AND channel = $3`,
		r.Dimension, r.ProfileKey, r.Channel)
	return status == ConsentOptOut, err
}

// Import records rows of one dimension, 500 to a statement, never over
// consent recorded later than a row. Run it in a transaction to record
// all or nothing.
func (c Consent) Import(ctx context.Context, dimension string, rows []ConsentRecord) error {
	for len(rows) > 0 {
		n := min(len(rows), 500)
		values := make([]string, 0, n)
		args := make([]any, 1, 1+5*n)
		args[0] = dimension
		for _, r := range rows[:n] {
			args = append(args, r.ProfileKey, r.Channel, r.Status, r.Source, r.UpdatedAt.UTC())
			k := len(args)
			values = append(values, fmt.Sprintf("($1, $%d, $%d, $%d, $%d, $%d)", k-4, k-3, k-2, k-1, k))
		}
		_, err := c.exec(ctx, fmt.Sprintf(consentUpsert, strings.Join(values, ", "))+`
			WHERE ff_consent.updated_at <= excluded.updated_at`, args...)
		if err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// Of returns a profile's consent records, by channel.
func (c Consent) Of(ctx context.Context, dimension, profileKey string) ([]ConsentRecord, error) {
	out := []ConsentRecord{}
	err := c.each(ctx, func(rows *sql.Rows) error {
		r := ConsentRecord{Dimension: dimension, ProfileKey: profileKey}
		if err := rows.Scan(&r.Channel, &r.Status, &r.Source, &r.UpdatedAt); err != nil {
			return err
		}
		r.UpdatedAt = r.UpdatedAt.UTC()
		out = append(out, r)
		return nil
	}, `SELECT channel, status, source, updated_at FROM ff_consent WHERE dimension = $1 AND profile_key = $2 ORDER BY channel`, dimension, profileKey)
	return out, err
}

// OptedOut returns which of keys, profiles of dimension, opted out of
// channel: the check every send makes before a hand-over.
func (c Consent) OptedOut(ctx context.Context, channel, dimension string, keys []string) (map[string]bool, error) {
	return c.found(ctx, `SELECT profile_key FROM ff_consent WHERE channel = $1 AND status = '`+ConsentOptOut+`' AND dimension = $3 AND `+
		c.d.InList("profile_key", 2, "VARCHAR"), channel, keys, dimension)
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Outbound is what the exporters of events and audiences keep
// (docs/outbound.md): each destination's cursor over ff_events and its
// lease (ff_outbound_cursors), the batches no attempt delivered
// (ff_outbound_dead_letters) and the saved audiences published on every
// refresh (ff_audience_publish).
type Outbound struct{ area }

// Outbound returns the outbound area.
func (s *Store) Outbound() Outbound { return Outbound{s.area()} }

// ErrLeaseLost is a cursor moved by a node whose lease another node took.
var ErrLeaseLost = errors.New("the destination's lease is held by another node")

// StreamEvent is one event as exporters read it: the event, its number
// (Seq, in the order events were appended), and what its message says
// of it: the recipient's dimension and key (a JSON object; empty for an
// anonymous event), the channel and the campaign's name.
type StreamEvent struct {
	Seq int64
	EventRecord
	Dimension string
	Profile   string
	Channel   string
	Campaign  string
}

// After returns up to limit events numbered above seq, in their order.
func (e Events) After(ctx context.Context, seq int64, limit int) ([]StreamEvent, error) {
	var out []StreamEvent
	err := e.each(ctx, func(rows *sql.Rows) error {
		var ev StreamEvent
		var msg, url, label, machine, details, dim, profile, ch, campaign sql.NullString
		var link sql.NullInt64
		if err := rows.Scan(&ev.Seq, &ev.At, &ev.Type, &ev.RunID, &ev.Activity, &msg, &link, &url, &label, &machine, &details,
			&dim, &profile, &ch, &campaign); err != nil {
			return err
		}
		ev.At = ev.At.UTC()
		ev.MessageID, ev.Link, ev.URL, ev.Label, ev.Machine, ev.Details = msg.String, int(link.Int64), url.String, label.String, machine.String, details.String
		ev.Dimension, ev.Profile, ev.Channel, ev.Campaign = dim.String, profile.String, ch.String, campaign.String
		out = append(out, ev)
		return nil
	}, `SELECT e.seq, e.created_at, e.type, e.run_id, e.activity, e.message_id, e.link, e.url, e.label, e.machine, e.details,
			o.dimension, o.recipient, o.channel, c.name
		FROM (SELECT * FROM ff_events WHERE seq > $1 ORDER BY seq LIMIT $2) e
		LEFT JOIN ff_outbox o ON o.run_id = e.run_id AND o.message_id = e.message_id
		LEFT JOIN ff_runs r ON r.id = e.run_id
		LEFT JOIN ff_campaigns c ON c.id = r.campaign_id
		ORDER BY e.seq`, seq, limit)
	return out, err
}

// LastSeq returns the number of the latest event, 0 for none.
func (e Events) LastSeq(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	err := e.row(ctx, []any{&n}, `SELECT max(seq) FROM ff_events`)
	return n.Int64, err
}

// Cursor is where a destination's exporter stands: the last event it
// delivered (Seq) and, when the next number is missing, since when
// (GapSince; zero for none).
type Cursor struct {
	Seq      int64
	GapSince time.Time
}

// Claim takes destination's lease for owner until until, if no other
// node holds it past now; a destination seen for the first time starts
// at seq start. ok is false while another node holds it.
func (o Outbound) Claim(ctx context.Context, destination, owner string, start int64, now, until time.Time) (c Cursor, ok bool, err error) {
	if _, err := o.exec(ctx, `INSERT INTO ff_outbound_cursors (destination, seq, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (destination) DO NOTHING`, destination, start, now.UTC()); err != nil {
		return c, false, err
	}
	var gap sql.NullTime
	err = o.row(ctx, []any{&c.Seq, &gap}, `UPDATE ff_outbound_cursors SET lease_owner = $2, lease_until = $3
		WHERE destination = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < $4) RETURNING seq, gap_since`,
		destination, owner, until.UTC(), now.UTC())
	if errors.Is(err, ErrNotFound) {
		return c, false, nil
	}
	if gap.Valid {
		c.GapSince = gap.Time.UTC()
	}
	return c, err == nil, err
}

// Advance moves destination's cursor, if owner still holds its lease
// (ErrLeaseLost otherwise).
func (o Outbound) Advance(ctx context.Context, destination, owner string, c Cursor, now time.Time) error {
	var gap any
	if !c.GapSince.IsZero() {
		gap = c.GapSince.UTC()
	}
	n, err := o.exec(ctx, `UPDATE ff_outbound_cursors SET seq = $3, gap_since = $4, updated_at = $5 WHERE destination = $1 AND lease_owner = $2`,
		destination, owner, c.Seq, gap, now.UTC())
	if err == nil && n == 0 {
		err = ErrLeaseLost
	}
	return err
}

// Release lets destination's lease go, if owner holds it.
func (o Outbound) Release(ctx context.Context, destination, owner string) error {
	_, err := o.exec(ctx, `UPDATE ff_outbound_cursors SET lease_owner = NULL, lease_until = NULL WHERE destination = $1 AND lease_owner = $2`,
		destination, owner)
	return err
}

// DeadLetter is a batch no attempt delivered: events numbered FirstSeq
// to LastSeq (Kind "events"), or a saved audience's publication (Kind
// "audience", its name in Subject), with the body every attempt sent.
type DeadLetter struct {
	ID            int64
	Destination   string
	Kind          string
	Subject       string
	FirstSeq      int64
	LastSeq       int64
	Items         int64
	Body          string
	Attempts      int
	Error         string
	CreatedAt     time.Time
	RedeliveredAt time.Time
}

// AddDeadLetter keeps a batch and returns its id.
func (o Outbound) AddDeadLetter(ctx context.Context, d DeadLetter) (int64, error) {
	var id int64
	kind := d.Kind
	if d.Subject != "" {
		kind += ":" + d.Subject
	}
	err := o.row(ctx, []any{&id}, `INSERT INTO ff_outbound_dead_letters (destination, kind, first_seq, last_seq, items, body, attempts, error, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		d.Destination, kind, d.FirstSeq, d.LastSeq, d.Items, d.Body, d.Attempts, d.Error, d.CreatedAt.UTC())
	return id, err
}

// deadLetterColumns are the columns scanDeadLetter reads, the body last.
const deadLetterColumns = "id, destination, kind, first_seq, last_seq, items, attempts, error, created_at, redelivered_at"

func scanDeadLetter(rows interface{ Scan(...any) error }, d *DeadLetter, extra ...any) error {
	var at sql.NullTime
	if err := rows.Scan(append([]any{&d.ID, &d.Destination, &d.Kind, &d.FirstSeq, &d.LastSeq, &d.Items, &d.Attempts, &d.Error, &d.CreatedAt, &at}, extra...)...); err != nil {
		return err
	}
	if k, s, ok := strings.Cut(d.Kind, ":"); ok {
		d.Kind, d.Subject = k, s
	}
	d.CreatedAt = d.CreatedAt.UTC()
	if at.Valid {
		d.RedeliveredAt = at.Time.UTC()
	}
	return nil
}

// DeadLetterFilter selects dead letters: of one destination (all when
// empty), redelivered or not (Redelivered: "yes", "no", or "" for both),
// at most Limit.
type DeadLetterFilter struct {
	Destination string
	Redelivered string
	Limit       int
}

// DeadLetters lists the dead letters a filter selects, newest first,
// without their bodies.
func (o Outbound) DeadLetters(ctx context.Context, f DeadLetterFilter) ([]DeadLetter, error) {
	out := []DeadLetter{}
	err := o.each(ctx, func(rows *sql.Rows) error {
		var d DeadLetter
		if err := scanDeadLetter(rows, &d); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	}, `SELECT `+deadLetterColumns+` FROM ff_outbound_dead_letters
		WHERE ($1 = '' OR destination = $1)
			AND ($2 = '' OR ($2 = 'yes' AND redelivered_at IS NOT NULL) OR ($2 = 'no' AND redelivered_at IS NULL))
		ORDER BY id DESC LIMIT $3`, f.Destination, f.Redelivered, f.Limit)
	return out, err
}

// PendingDeadLetters counts the dead letters not redelivered yet, by
// destination.
func (o Outbound) PendingDeadLetters(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	err := o.each(ctx, func(rows *sql.Rows) error {
		var d string
		var n int64
		if err := rows.Scan(&d, &n); err != nil {
			return err
		}
		out[d] = n
		return nil
	}, `SELECT destination, count(*) FROM ff_outbound_dead_letters WHERE redelivered_at IS NULL GROUP BY destination`)
	return out, err
}

// DeadLetter returns one dead letter with its body (ErrNotFound).
func (o Outbound) DeadLetter(ctx context.Context, id int64) (DeadLetter, error) {
	var d DeadLetter
	err := o.each(ctx, func(rows *sql.Rows) error { return scanDeadLetter(rows, &d, &d.Body) },
		`SELECT `+deadLetterColumns+`, body FROM ff_outbound_dead_letters WHERE id = $1`, id)
	if err == nil && d.ID == 0 {
		err = ErrNotFound
	}
	return d, err
}

// Redelivered records a dead letter delivered at last, with the attempts
// it took in all.
func (o Outbound) Redelivered(ctx context.Context, id int64, attempts int, at time.Time) error {
	_, err := o.exec(ctx, `UPDATE ff_outbound_dead_letters SET redelivered_at = $2, attempts = $3 WHERE id = $1`, id, at.UTC(), attempts)
	return err
}

// PublishRecord is where a saved audience is published on every refresh:
// a destination's name, a format (csv, ndjson) and the attributes its
// rows carry besides the key (a JSON array).
type PublishRecord struct {
	Audience    string
	Destination string
	Format      string
	Attributes  string
	UpdatedAt   time.Time
}

// SetPublish records where an audience is published.
func (o Outbound) SetPublish(ctx context.Context, p PublishRecord) error {
	_, err := o.exec(ctx, `INSERT INTO ff_audience_publish (audience, destination, format, attributes, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (audience) DO UPDATE SET destination = excluded.destination, format = excluded.format, attributes = excluded.attributes, updated_at = excluded.updated_at`,
		p.Audience, p.Destination, p.Format, p.Attributes, p.UpdatedAt.UTC())
	return err
}

// Publish returns where an audience is published (ErrNotFound: nowhere).
func (o Outbound) Publish(ctx context.Context, audience string) (PublishRecord, error) {
	p := PublishRecord{Audience: audience}
	err := o.row(ctx, []any{&p.Destination, &p.Format, &p.Attributes, &p.UpdatedAt},
		`SELECT destination, format, attributes, updated_at FROM ff_audience_publish WHERE audience = $1`, audience)
	p.UpdatedAt = p.UpdatedAt.UTC()
	return p, err
}

// Unpublish stops publishing an audience; false if it was not.
func (o Outbound) Unpublish(ctx context.Context, audience string) (bool, error) {
	n, err := o.exec(ctx, `DELETE FROM ff_audience_publish WHERE audience = $1`, audience)
	return n > 0, err
}

// CursorState is where a destination's exporter stands, as operators see
// it: its cursor, the node holding its lease and until when, since when
// a missing number is waited for, and when the cursor last moved.
type CursorState struct {
	Destination string
	Seq         int64
	LeaseOwner  string
	LeaseUntil  time.Time
	GapSince    time.Time
	UpdatedAt   time.Time
}

// Cursors returns every destination's cursor, by name.
func (o Outbound) Cursors(ctx context.Context) (map[string]CursorState, error) {
	out := map[string]CursorState{}
	err := o.each(ctx, func(rows *sql.Rows) error {
		var c CursorState
		var owner sql.NullString
		var until, gap sql.NullTime
		if err := rows.Scan(&c.Destination, &c.Seq, &owner, &until, &gap, &c.UpdatedAt); err != nil {
			return err
		}
		c.LeaseOwner, c.UpdatedAt = owner.String, c.UpdatedAt.UTC()
		if until.Valid {
			c.LeaseUntil = until.Time.UTC()
		}
		if gap.Valid {
			c.GapSince = gap.Time.UTC()
		}
		out[c.Destination] = c
		return nil
	}, `SELECT destination, seq, lease_owner, lease_until, gap_since, updated_at FROM ff_outbound_cursors`)
	return out, err
}

// CountAfter counts the events numbered above seq: a destination's lag.
func (e Events) CountAfter(ctx context.Context, seq int64) (int64, error) {
	var n int64
	err := e.row(ctx, []any{&n}, `SELECT count(*) FROM ff_events WHERE seq > $1`, seq)
	return n, err
}

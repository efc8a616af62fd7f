package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Campaigns is the campaign catalogue: ff_campaigns, their versions
// (ff_campaign_versions), their schedules (ff_schedules) and the state runs
// pass on to later runs (ff_campaign_state).
type Campaigns struct{ area }

// Campaigns returns the campaigns' area.
func (s *Store) Campaigns() Campaigns { return Campaigns{s.area()} }

// On returns the area bound to q (a transaction).
func (c Campaigns) On(q Querier) Campaigns { return Campaigns{c.area.on(q)} }

// CampaignRecord is a campaign with its latest version's document (empty
// in lists).
type CampaignRecord struct {
	ID               int64
	Name             string
	Status           string
	LatestVersion    int64
	PublishedVersion int64 // 0: none
	CreatedAt        time.Time
	UpdatedAt        time.Time
	Document         string
}

// Get returns a campaign with its latest document.
func (c Campaigns) Get(ctx context.Context, name string) (CampaignRecord, error) {
	var x CampaignRecord
	var pub sql.NullInt64
	err := c.row(ctx, []any{&x.ID, &x.Name, &x.Status, &x.LatestVersion, &pub, &x.CreatedAt, &x.UpdatedAt, &x.Document},
		`SELECT c.id, c.name, c.status, c.latest_version, c.published_version, c.created_at, c.updated_at, v.document
		FROM ff_campaigns c JOIN ff_campaign_versions v ON v.campaign_id = c.id AND v.version = c.latest_version WHERE c.name = $1`, name)
	x.PublishedVersion = pub.Int64
	return x, err
}

// List returns every campaign by name, without documents.
func (c Campaigns) List(ctx context.Context) ([]CampaignRecord, error) {
	var out []CampaignRecord
	err := c.each(ctx, func(rows *sql.Rows) error {
		var x CampaignRecord
		var pub sql.NullInt64
		if err := rows.Scan(&x.ID, &x.Name, &x.Status, &x.LatestVersion, &pub, &x.CreatedAt, &x.UpdatedAt); err != nil {
			return err
		}
		x.PublishedVersion = pub.Int64
		out = append(out, x)
		return nil
	}, `SELECT id, name, status, latest_version, published_version, created_at, updated_at FROM ff_campaigns ORDER BY name`)
	return out, err
}

// Versions returns a campaign's id, latest and published versions (0:
// none) by name.
func (c Campaigns) Versions(ctx context.Context, name string) (id, latest, published int64, err error) {
	err = c.row(ctx, []any{&id, &latest, &published},
		`SELECT id, latest_version, coalesce(published_version, 0) FROM ff_campaigns WHERE name = $1`, name)
	return id, latest, published, err
}

// AddVersion stores a document as a new version of the campaign of that
// name, created with status when it does not exist, and returns the
// campaign's id and the version. Run it in a transaction.
func (c Campaigns) AddVersion(ctx context.Context, name, status, doc string, now time.Time) (id, version int64, err error) {
	now = now.UTC()
	err = c.row(ctx, []any{&id, &version}, `SELECT id, latest_version FROM ff_campaigns WHERE name = $1`, name)
	switch {
	case errors.Is(err, ErrNotFound):
		version = 1
		err = c.row(ctx, []any{&id}, `INSERT INTO ff_campaigns (name, status, latest_version, created_at, updated_at) VALUES ($1, $2, 1, $3, $3) RETURNING id`,
			name, status, now)
	case err == nil:
		version++
		_, err = c.exec(ctx, `UPDATE ff_campaigns SET latest_version = $1, updated_at = $2 WHERE id = $3`, version, now, id)
	}
	if err != nil {
		return 0, 0, err
	}
	_, err = c.exec(ctx, `INSERT INTO ff_campaign_versions (campaign_id, version, document, created_at) VALUES ($1, $2, $3, $4)`, id, version, doc, now)
	return id, version, err
}

// Document returns one version's document.
func (c Campaigns) Document(ctx context.Context, id, version int64) (string, error) {
	var doc string
	err := c.row(ctx, []any{&doc}, `SELECT document FROM ff_campaign_versions WHERE campaign_id = $1 AND version = $2`, id, version)
	return doc, err
}

// Publish freezes a version as the campaign's published one, setting the
// campaign's status. Run it in a transaction.
func (c Campaigns) Publish(ctx context.Context, id, version int64, status string, now time.Time) error {
	if _, err := c.exec(ctx, `UPDATE ff_campaign_versions SET published_at = $1 WHERE campaign_id = $2 AND version = $3`, now.UTC(), id, version); err != nil {
		return err
	}
	_, err := c.exec(ctx, `UPDATE ff_campaigns SET status = $1, published_version = $2, updated_at = $3 WHERE id = $4`, status, version, now.UTC(), id)
	return err
}

// State reads a campaign state value.
func (c Campaigns) State(ctx context.Context, id int64, key string) (string, error) {
	var v string
	err := c.row(ctx, []any{&v}, `SELECT value FROM ff_campaign_state WHERE campaign_id = $1 AND key = $2`, id, key)
	return v, err
}

// SetState writes a campaign state value.
func (c Campaigns) SetState(ctx context.Context, id int64, key, value string) error {
	_, err := c.exec(ctx, `INSERT INTO ff_campaign_state (campaign_id, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (campaign_id, key) DO UPDATE SET value = excluded.value`, id, key, value)
	return err
}

// DueSchedule is a published campaign's occurrence that has come.
type DueSchedule struct {
	CampaignID, Version int64
	At                  time.Time
}

// DueSchedules lists the schedules due at now, oldest first. Run it in the
// transaction that starts their runs: on PostgreSQL their rows stay locked
// by it, and a node ticking at the same time passes over them.
func (c Campaigns) DueSchedules(ctx context.Context, now time.Time) ([]DueSchedule, error) {
	q := `SELECT campaign_id, version, next_at FROM ff_schedules WHERE next_at <= $1 ORDER BY next_at`
	if rowLocks(c.d) {
		q += " FOR UPDATE SKIP LOCKED"
	}
	var out []DueSchedule
	err := c.each(ctx, func(rows *sql.Rows) error {
		var d DueSchedule
		err := rows.Scan(&d.CampaignID, &d.Version, &d.At)
		out = append(out, d)
		return err
	}, q, now.UTC())
	return out, err
}

// Schedule sets a campaign's next occurrence, of a version; a zero next
// removes its schedule.
func (c Campaigns) Schedule(ctx context.Context, id, version int64, next time.Time) error {
	if _, err := c.exec(ctx, `DELETE FROM ff_schedules WHERE campaign_id = $1`, id); err != nil || next.IsZero() {
		return err
	}
	_, err := c.exec(ctx, `INSERT INTO ff_schedules (campaign_id, version, next_at) VALUES ($1, $2, $3)`, id, version, next.UTC())
	return err
}

// AdvanceSchedule moves a campaign's schedule past the occurrence last to
// next; a zero next removes it.
func (c Campaigns) AdvanceSchedule(ctx context.Context, id int64, next, last time.Time) error {
	if next.IsZero() {
		_, err := c.exec(ctx, `DELETE FROM ff_schedules WHERE campaign_id = $1`, id)
		return err
	}
	_, err := c.exec(ctx, `UPDATE ff_schedules SET next_at = $1, last_at = $2 WHERE campaign_id = $3`, next.UTC(), last.UTC(), id)
	return err
}

// Lock reads a campaign's status in the transaction of q, holding its row
// against an archive or a delete until the transaction ends (a shared
// row lock on PostgreSQL; the embedded store has one writer at a time).
func (c Campaigns) Lock(ctx context.Context, id int64) (string, error) {
	q := `SELECT status FROM ff_campaigns WHERE id = $1`
	if rowLocks(c.d) {
		q += " FOR SHARE"
	}
	var status string
	err := c.row(ctx, []any{&status}, q, id)
	return status, err
}

// SetStatus sets a campaign's status. Run it in a transaction.
func (c Campaigns) SetStatus(ctx context.Context, id int64, status string, now time.Time) error {
	_, err := c.exec(ctx, `UPDATE ff_campaigns SET status = $1, updated_at = $2 WHERE id = $3`, status, now.UTC(), id)
	return err
}

// ErrHasRuns is a campaign that cannot be deleted: it has runs, whose
// history (counts, messages, figures) would lose its campaign.
var ErrHasRuns = errors.New("the campaign has runs: archive it instead (its runs' history stays)")

// Delete removes a campaign that never ran: its versions, schedule, state
// and row; ErrHasRuns when it has runs. Run it in a transaction: the
// campaign's row is locked first, so a run starting at the same time
// (which reads the row with Lock) either comes first and the delete is
// refused, or finds no campaign.
func (c Campaigns) Delete(ctx context.Context, id int64) error {
	q := `SELECT id FROM ff_campaigns WHERE id = $1`
	if rowLocks(c.d) {
		q += " FOR UPDATE"
	}
	if err := c.row(ctx, []any{&id}, q, id); err != nil {
		return err
	}
	var runs int64
	if err := c.row(ctx, []any{&runs}, `SELECT count(*) FROM ff_runs WHERE campaign_id = $1`, id); err != nil {
		return err
	}
	if runs > 0 {
		return ErrHasRuns
	}
	for _, table := range []string{"ff_campaign_versions", "ff_schedules", "ff_campaign_state"} {
		if _, err := c.exec(ctx, `DELETE FROM `+table+` WHERE campaign_id = $1`, id); err != nil {
			return err
		}
	}
	if _, err := c.exec(ctx, `DELETE FROM ff_campaign_drafts WHERE name IN (SELECT name FROM ff_campaigns WHERE id = $1)`, id); err != nil {
		return err
	}
	_, err := c.exec(ctx, `DELETE FROM ff_campaigns WHERE id = $1`, id)
	return err
}

// VersionRecord is one version of a campaign: when it was made and, if
// it was, published; its document when read alone.
type VersionRecord struct {
	Version     int64
	CreatedAt   time.Time
	PublishedAt *time.Time
	Document    string
}

// VersionList returns a campaign's versions, newest first, without their
// documents.
func (c Campaigns) VersionList(ctx context.Context, id int64) ([]VersionRecord, error) {
	var out []VersionRecord
	err := c.each(ctx, func(rows *sql.Rows) error {
		var v VersionRecord
		var pub sql.NullTime
		if err := rows.Scan(&v.Version, &v.CreatedAt, &pub); err != nil {
			return err
		}
		v.CreatedAt = v.CreatedAt.UTC()
		if pub.Valid {
			t := pub.Time.UTC()
			v.PublishedAt = &t
		}
		out = append(out, v)
		return nil
	}, `SELECT version, created_at, published_at FROM ff_campaign_versions WHERE campaign_id = $1 ORDER BY version DESC`, id)
	return out, err
}

// Version returns one version of a campaign with its document.
func (c Campaigns) Version(ctx context.Context, id, version int64) (VersionRecord, error) {
	v := VersionRecord{Version: version}
	var pub sql.NullTime
	err := c.row(ctx, []any{&v.CreatedAt, &pub, &v.Document}, `SELECT created_at, published_at, document FROM ff_campaign_versions WHERE campaign_id = $1 AND version = $2`, id, version)
	v.CreatedAt = v.CreatedAt.UTC()
	if pub.Valid {
		t := pub.Time.UTC()
		v.PublishedAt = &t
	}
	return v, err
}

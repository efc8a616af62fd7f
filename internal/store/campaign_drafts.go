package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// DraftRecord is a campaign's working draft (ff_campaign_drafts).
type DraftRecord struct {
	Name     string
	Document string
	// Revision rises by one on every save of the draft.
	Revision int64
	// BaseVersion is the campaign version the draft started from, 0 for a
	// campaign never saved.
	BaseVersion int64
	UpdatedAt   time.Time
	UpdatedBy   string
}

// ErrStaleDraft is a draft saved from a revision that is no longer the
// stored one: someone else saved it meanwhile.
var ErrStaleDraft = errors.New("the draft was saved by someone else meanwhile")

// Draft returns a campaign's draft, ErrNotFound when it has none.
func (c Campaigns) Draft(ctx context.Context, name string) (DraftRecord, error) {
	var d DraftRecord
	err := c.row(ctx, []any{&d.Name, &d.Document, &d.Revision, &d.BaseVersion, &d.UpdatedAt, &d.UpdatedBy},
		`SELECT name, document, revision, base_version, updated_at, updated_by FROM ff_campaign_drafts WHERE name = $1`, name)
	d.UpdatedAt = d.UpdatedAt.UTC()
	return d, err
}

// PutDraft stores d as the draft of d.Name if the stored draft's revision
// is still d.Revision (0: there is none), and returns the new revision;
// ErrStaleDraft otherwise. The check and the write are one statement, so
// of two saves from the same revision exactly one wins.
func (c Campaigns) PutDraft(ctx context.Context, d DraftRecord) (int64, error) {
	var n int64
	var err error
	if d.Revision == 0 {
		n, err = c.exec(ctx, `INSERT INTO ff_campaign_drafts (name, document, revision, base_version, updated_at, updated_by)
			VALUES ($1, $2, 1, $3, $4, $5) ON CONFLICT (name) DO NOTHING`,
			d.Name, d.Document, d.BaseVersion, d.UpdatedAt.UTC(), d.UpdatedBy)
	} else {
		n, err = c.exec(ctx, `UPDATE ff_campaign_drafts SET document = $1, revision = revision + 1, updated_at = $2, updated_by = $3
			WHERE name = $4 AND revision = $5`, d.Document, d.UpdatedAt.UTC(), d.UpdatedBy, d.Name, d.Revision)
	}
	if IsConflict(err) {
		// Another save of the same row won (DuckDB says so at once).
		return 0, ErrStaleDraft
	}
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, ErrStaleDraft
	}
	return d.Revision + 1, nil
}

// DeleteDraft removes a campaign's draft if its revision is still
// revision (ErrStaleDraft otherwise); revision -1 removes it whatever it
// is. No draft is no error.
func (c Campaigns) DeleteDraft(ctx context.Context, name string, revision int64) error {
	if revision < 0 {
		_, err := c.exec(ctx, `DELETE FROM ff_campaign_drafts WHERE name = $1`, name)
		return err
	}
	n, err := c.exec(ctx, `DELETE FROM ff_campaign_drafts WHERE name = $1 AND revision = $2`, name, revision)
	if err == nil && n == 0 {
		return ErrStaleDraft
	}
	return err
}

// Drafts returns every working draft, by name, without its document.
func (c Campaigns) Drafts(ctx context.Context) ([]DraftRecord, error) {
	var out []DraftRecord
	err := c.each(ctx, func(rows *sql.Rows) error {
		var d DraftRecord
		if err := rows.Scan(&d.Name, &d.Revision, &d.BaseVersion, &d.UpdatedAt, &d.UpdatedBy); err != nil {
			return err
		}
		d.UpdatedAt = d.UpdatedAt.UTC()
		out = append(out, d)
		return nil
	}, `SELECT name, revision, base_version, updated_at, updated_by FROM ff_campaign_drafts ORDER BY name`)
	return out, err
}

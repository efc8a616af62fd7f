package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Campaign statuses.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
)

// ErrNotPublished is returned when a live run is asked of a campaign that
// has no published version.
var ErrNotPublished = errors.New("the campaign has no published version: publish it first (simulate works on drafts)")

// Campaign is a campaign's catalogue entry.
type Campaign struct {
	ID               int64     `json:"id"`
	Name             string    `json:"name"`
	Status           string    `json:"status"`
	LatestVersion    int64     `json:"latest_version"`
	PublishedVersion int64     `json:"published_version,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	// Document is the latest version's document.
	Document string `json:"document,omitempty"`
}

// Save stores a campaign document: a new campaign, or a new draft version of
// an existing one (a published version stays frozen, with its runs). The
// document must parse; full validation happens on publish (and Validate).
func (e *Engine) Save(ctx context.Context, doc []byte) (*Campaign, error) {
	d, err := campaign.Parse(doc)
	if err != nil {
		return nil, err
	}
	now := e.Now().UTC()
	var id int64
	err = e.store.InTx(ctx, func(tx *sql.Tx) error {
		var latest int64
		err := tx.QueryRowContext(ctx, `SELECT id, latest_version FROM ff_campaigns WHERE name = $1`, d.Name).Scan(&id, &latest)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err = tx.QueryRowContext(ctx, `INSERT INTO ff_campaigns (name, status, latest_version, created_at, updated_at) VALUES ($1, $2, 1, $3, $3) RETURNING id`,
				d.Name, StatusDraft, now).Scan(&id)
			if err != nil {
				return fmt.Errorf("create campaign: %w", err)
			}
			latest = 1
		case err != nil:
			return fmt.Errorf("look up campaign: %w", err)
		default:
			latest++
			if _, err := tx.ExecContext(ctx, `UPDATE ff_campaigns SET latest_version = $1, updated_at = $2 WHERE id = $3`, latest, now, id); err != nil {
				return fmt.Errorf("update campaign: %w", err)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO ff_campaign_versions (campaign_id, version, document, created_at) VALUES ($1, $2, $3, $4)`, id, latest, string(doc), now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return e.Get(ctx, d.Name)
}

// Get returns a campaign with its latest document.
func (e *Engine) Get(ctx context.Context, name string) (*Campaign, error) {
	c := &Campaign{}
	var pub sql.NullInt64
	err := e.store.DB.QueryRowContext(ctx, `SELECT c.id, c.name, c.status, c.latest_version, c.published_version, c.created_at, c.updated_at, v.document
		FROM ff_campaigns c JOIN ff_campaign_versions v ON v.campaign_id = c.id AND v.version = c.latest_version WHERE c.name = $1`, name).
		Scan(&c.ID, &c.Name, &c.Status, &c.LatestVersion, &pub, &c.CreatedAt, &c.UpdatedAt, &c.Document)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("campaign %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read campaign %q: %w", name, err)
	}
	c.PublishedVersion = pub.Int64
	return c, nil
}

// List returns every campaign, without documents.
func (e *Engine) List(ctx context.Context) ([]Campaign, error) {
	rows, err := e.store.DB.QueryContext(ctx, `SELECT id, name, status, latest_version, published_version, created_at, updated_at FROM ff_campaigns ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	defer rows.Close()
	var out []Campaign
	for rows.Next() {
		var c Campaign
		var pub sql.NullInt64
		if err := rows.Scan(&c.ID, &c.Name, &c.Status, &c.LatestVersion, &pub, &c.CreatedAt, &c.UpdatedAt); err != nil {
			return nil, err
		}
		c.PublishedVersion = pub.Int64
		out = append(out, c)
	}
	return out, rows.Err()
}

// document loads and parses one version of a campaign.
func (e *Engine) document(ctx context.Context, q store.Querier, campaignID, version int64) (*campaign.Document, error) {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT document FROM ff_campaign_versions WHERE campaign_id = $1 AND version = $2`, campaignID, version).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("campaign %d version %d: %w", campaignID, version, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read campaign %d version %d: %w", campaignID, version, err)
	}
	return campaign.Parse([]byte(doc))
}

// Validate checks a document against the current data model and saved
// audiences, listing every problem.
func (e *Engine) Validate(ctx context.Context, doc []byte) (*campaign.Document, error) {
	d, _, err := e.validate(ctx, doc)
	return d, err
}

// Validation is what validating a campaign document tells besides its
// problems.
type Validation struct {
	Valid      bool        `json:"valid"` // always true: problems are an error
	Name       string      `json:"name"`
	Activities int         `json:"activities"`
	SMS        []SMSLength `json:"sms,omitempty"` // each SMS activity's estimated length
}

// Check validates a document as Validate does and reports what its
// author should see before sending: the length of each SMS.
func (e *Engine) Check(ctx context.Context, doc []byte) (*Validation, error) {
	d, sms, err := e.validate(ctx, doc)
	if err != nil {
		return nil, err
	}
	return &Validation{Valid: true, Name: d.Name, Activities: len(d.Activities), SMS: sms}, nil
}

func (e *Engine) validate(ctx context.Context, doc []byte) (*campaign.Document, []SMSLength, error) {
	d, err := campaign.Parse(doc)
	if err != nil {
		return nil, nil, err
	}
	m, _, err := schema.Current(ctx, e.store)
	if err != nil {
		return nil, nil, fmt.Errorf("read the data model: %w", err)
	}
	svc := &audience.Service{Store: e.store}
	info := func(name string) (string, bool) {
		a, err := svc.Get(ctx, name)
		if err != nil {
			return "", false
		}
		return a.Dimension, true
	}
	if err := campaign.Validate(d, m, info); err != nil {
		return nil, nil, err
	}
	sms, err := checkContent(d, m, e.RenderBudget)
	if err != nil {
		return nil, nil, err
	}
	return d, sms, nil
}

// Publish validates the latest version and freezes it as the published
// one; a scheduled campaign's next occurrence is planned.
func (e *Engine) Publish(ctx context.Context, name string) (*Campaign, error) {
	c, err := e.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	d, err := e.Validate(ctx, []byte(c.Document))
	if err != nil {
		return nil, err
	}
	now := e.Now().UTC()
	err = e.store.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE ff_campaign_versions SET published_at = $1 WHERE campaign_id = $2 AND version = $3`, now, c.ID, c.LatestVersion); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ff_campaigns SET status = $1, published_version = $2, updated_at = $3 WHERE id = $4`, StatusPublished, c.LatestVersion, now, c.ID); err != nil {
			return err
		}
		return e.planSchedule(ctx, tx, c.ID, c.LatestVersion, d, now)
	})
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", name, err)
	}
	return e.Get(ctx, name)
}

// Duplicate copies a campaign's latest document under a new name, as a
// draft.
func (e *Engine) Duplicate(ctx context.Context, name, newName string) (*Campaign, error) {
	c, err := e.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	doc, err := renameDocument([]byte(c.Document), newName)
	if err != nil {
		return nil, err
	}
	if _, err := e.Get(ctx, newName); err == nil {
		return nil, fmt.Errorf("campaign %q already exists", newName)
	}
	return e.Save(ctx, doc)
}

// renameDocument sets a document's name, keeping everything else (order,
// comments aside) as it was.
func renameDocument(doc []byte, name string) ([]byte, error) {
	var ms yaml.MapSlice
	if err := yaml.UnmarshalWithOptions(doc, &ms, yaml.UseOrderedMap()); err != nil {
		return nil, fmt.Errorf("read the campaign document: %w", err)
	}
	found := false
	for i := range ms {
		if ms[i].Key == "name" {
			ms[i].Value = name
			found = true
		}
	}
	if !found {
		ms = append(yaml.MapSlice{{Key: "name", Value: name}}, ms...)
	}
	return yaml.Marshal(ms)
}

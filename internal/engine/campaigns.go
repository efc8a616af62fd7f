package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
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
	// StatusArchived is a campaign put away: no run starts (by hand,
	// schedule or signal), no version is added or published, and its
	// runs' history stays; Unarchive brings it back.
	StatusArchived = "archived"
)

// ErrArchived is returned when an archived campaign is asked to start a
// run, take a new version or be published.
var ErrArchived = errors.New("the campaign is archived: unarchive it first")

// ErrHasRuns is returned when a campaign with runs is asked to be
// deleted: archive it instead.
var ErrHasRuns = store.ErrHasRuns

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
	// Draft, in lists, is the campaign's working draft when it has one:
	// a campaign with a draft and no version yet has version 0.
	Draft *DraftInfo `json:"draft,omitempty"`
}

// DraftInfo says a campaign has a working draft: its revision, when and
// by whom it was last saved.
type DraftInfo struct {
	Revision  int64     `json:"revision"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// Save stores a campaign document: a new campaign, or a new draft version of
// an existing one (a published version stays frozen, with its runs). The
// document must parse; full validation happens on publish (and Validate).
func (e *Engine) Save(ctx context.Context, doc []byte) (*Campaign, error) {
	d, err := campaign.Parse(doc)
	if err != nil {
		return nil, err
	}
	err = e.store.InTx(ctx, func(tx *store.Tx) error {
		return e.addVersion(ctx, e.store.Campaigns().On(tx), d.Name, string(doc))
	})
	if err != nil {
		return nil, err
	}
	return e.Get(ctx, d.Name)
}

// addVersion stores doc as a new version of the campaign name (cs bound
// to a transaction), refused when the campaign is archived.
func (e *Engine) addVersion(ctx context.Context, cs store.Campaigns, name, doc string) error {
	if id, _, _, err := cs.Versions(ctx, name); err == nil {
		if err := notArchived(ctx, cs, id); err != nil {
			return err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, _, err := cs.AddVersion(ctx, name, StatusDraft, doc, e.Now()); err != nil {
		return fmt.Errorf("save campaign %s: %w", name, err)
	}
	return nil
}

// Get returns a campaign with its latest document.
func (e *Engine) Get(ctx context.Context, name string) (*Campaign, error) {
	r, err := e.store.Campaigns().Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("campaign %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read campaign %q: %w", name, err)
	}
	c := campaignOf(r)
	return &c, nil
}

func campaignOf(r store.CampaignRecord) Campaign {
	return Campaign{ID: r.ID, Name: r.Name, Status: r.Status, LatestVersion: r.LatestVersion, PublishedVersion: r.PublishedVersion,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Document: r.Document}
}

// List returns every campaign, without documents.
func (e *Engine) List(ctx context.Context) ([]Campaign, error) {
	rs, err := e.store.Campaigns().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	drafts, err := e.store.Campaigns().Drafts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	byName := map[string]*DraftInfo{}
	for _, d := range drafts {
		byName[d.Name] = &DraftInfo{Revision: d.Revision, UpdatedAt: d.UpdatedAt, UpdatedBy: d.UpdatedBy}
	}
	var out []Campaign
	for _, r := range rs {
		c := campaignOf(r)
		c.Draft = byName[c.Name]
		delete(byName, c.Name)
		out = append(out, c)
	}
	// Campaigns that are only a draft so far.
	for _, d := range drafts {
		if info, ok := byName[d.Name]; ok {
			out = append(out, Campaign{Name: d.Name, Status: StatusDraft, CreatedAt: d.UpdatedAt, UpdatedAt: d.UpdatedAt, Draft: info})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// document loads, through c (bound to a transaction or not), and parses one
// version of a campaign.
func (e *Engine) document(ctx context.Context, c store.Campaigns, campaignID, version int64) (*campaign.Document, error) {
	doc, err := c.Document(ctx, campaignID, version)
	if errors.Is(err, store.ErrNotFound) {
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
	info := (&audience.Service{Store: e.store}).Info(ctx)
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
	err = e.store.InTx(ctx, func(tx *store.Tx) error {
		if err := notArchived(ctx, e.store.Campaigns().On(tx), c.ID); err != nil {
			return err
		}
		if err := e.store.Campaigns().On(tx).Publish(ctx, c.ID, c.LatestVersion, StatusPublished, now); err != nil {
			return err
		}
		return e.planSchedule(ctx, tx, c.ID, c.LatestVersion, d, now)
	})
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", name, err)
	}
	return e.Get(ctx, name)
}

// notArchived locks the campaign's row for the transaction of cs (see
// store.Campaigns.Lock) and refuses an archived one.
func notArchived(ctx context.Context, cs store.Campaigns, id int64) error {
	status, err := cs.Lock(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("campaign %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if status == StatusArchived {
		return ErrArchived
	}
	return nil
}

// Archive puts a campaign away: its schedule ends and nothing starts a
// run of it until Unarchive; runs under way go on. Archiving an archived
// campaign changes nothing.
func (e *Engine) Archive(ctx context.Context, name string) (*Campaign, error) {
	c, err := e.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	err = e.store.InTx(ctx, func(tx *store.Tx) error {
		cs := e.store.Campaigns().On(tx)
		if err := cs.SetStatus(ctx, c.ID, StatusArchived, e.Now()); err != nil {
			return err
		}
		return cs.Schedule(ctx, c.ID, 0, time.Time{})
	})
	if err != nil {
		return nil, fmt.Errorf("archive %s: %w", name, err)
	}
	return e.Get(ctx, name)
}

// Unarchive brings an archived campaign back as it was: published (its
// schedule planned again from now: occurrences missed while archived do
// not run) or a draft.
func (e *Engine) Unarchive(ctx context.Context, name string) (*Campaign, error) {
	c, err := e.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	if c.Status != StatusArchived {
		return c, nil
	}
	now := e.Now().UTC()
	err = e.store.InTx(ctx, func(tx *store.Tx) error {
		cs := e.store.Campaigns().On(tx)
		if c.PublishedVersion == 0 {
			return cs.SetStatus(ctx, c.ID, StatusDraft, now)
		}
		if err := cs.SetStatus(ctx, c.ID, StatusPublished, now); err != nil {
			return err
		}
		d, err := e.document(ctx, cs, c.ID, c.PublishedVersion)
		if err != nil {
			return err
		}
		return e.planSchedule(ctx, tx, c.ID, c.PublishedVersion, d, now)
	})
	if err != nil {
		return nil, fmt.Errorf("unarchive %s: %w", name, err)
	}
	return e.Get(ctx, name)
}

// Delete removes a campaign that never ran (a draft made by mistake):
// ErrHasRuns when it has runs — archive those.
func (e *Engine) Delete(ctx context.Context, name string) error {
	c, err := e.Get(ctx, name)
	if err != nil {
		return err
	}
	err = e.store.InTx(ctx, func(tx *store.Tx) error {
		return e.store.Campaigns().On(tx).Delete(ctx, c.ID)
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
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

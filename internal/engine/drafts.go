package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Draft is a campaign's working draft: the document as its editor last
// saved it, which need not parse, and what it started from.
type Draft struct {
	Name     string `json:"name"`
	Document string `json:"document"`
	// Revision rises by one on every save; 0 means no draft is stored and
	// Document is the latest version's.
	Revision int64 `json:"revision"`
	// BaseVersion is the version the draft started from, 0 for a campaign
	// never saved.
	BaseVersion int64      `json:"base_version"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
	UpdatedBy   string     `json:"updated_by,omitempty"`
	// Parses says whether Document parses; Problems are its parse problems
	// when it does not (validation proper is Validate's).
	Parses   bool               `json:"parses"`
	Problems []campaign.Problem `json:"problems,omitempty"`
}

// ErrStaleDraft is a draft saved from a revision that is no longer the
// stored one: someone else saved it meanwhile.
var ErrStaleDraft = store.ErrStaleDraft

// errName is a campaign name that breaks the naming rule.
func errName(name string) error {
	return fmt.Errorf("campaign name %q: use 1 to 100 letters, digits, '_', '-' and '.': %w", name, ErrInvalidName)
}

// ErrInvalidName is a campaign name that breaks the naming rule.
var ErrInvalidName = errors.New("invalid campaign name")

// GetDraft returns a campaign's draft, or, when none is stored, its latest
// version as revision 0; ErrNotFound (store's) when there is neither.
func (e *Engine) GetDraft(ctx context.Context, name string) (*Draft, error) {
	cs := e.store.Campaigns()
	r, err := cs.Draft(ctx, name)
	if err == nil {
		t := r.UpdatedAt
		return draftOf(Draft{Name: name, Document: r.Document, Revision: r.Revision, BaseVersion: r.BaseVersion, UpdatedAt: &t, UpdatedBy: r.UpdatedBy}), nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("read the draft of %q: %w", name, err)
	}
	c, err := e.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return draftOf(Draft{Name: name, Document: c.Document, BaseVersion: c.LatestVersion}), nil
}

// draftOf fills in whether the draft parses.
func draftOf(d Draft) *Draft {
	_, err := campaign.Parse([]byte(d.Document))
	d.Parses = err == nil
	if verr, ok := errors.AsType[*campaign.ValidationError](err); ok {
		d.Problems = verr.Problems
	}
	return &d
}

// PutDraft stores doc as the draft of the campaign name, whether it parses
// or not, if revision is still the stored draft's (0: none is stored);
// ErrStaleDraft, naming who saved meanwhile, otherwise. A name no campaign
// has yet starts a new campaign's draft; an archived campaign's is refused.
func (e *Engine) PutDraft(ctx context.Context, name string, doc []byte, revision int64, by string) (*Draft, error) {
	if !campaign.ValidName(name) {
		return nil, errName(name)
	}
	if len(doc) > campaign.MaxDocumentSize {
		return nil, fmt.Errorf("the document is larger than %d bytes: %w", campaign.MaxDocumentSize, ErrInvalidDraft)
	}
	cs := e.store.Campaigns()
	base := int64(0)
	if c, err := cs.Get(ctx, name); err == nil {
		if c.Status == StatusArchived {
			return nil, ErrArchived
		}
		base = c.LatestVersion
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if revision > 0 {
		if r, err := cs.Draft(ctx, name); err == nil {
			base = r.BaseVersion
		}
	}
	now := e.Now().UTC()
	rev, err := cs.PutDraft(ctx, store.DraftRecord{Name: name, Document: string(doc), Revision: revision, BaseVersion: base, UpdatedAt: now, UpdatedBy: by})
	if errors.Is(err, store.ErrStaleDraft) {
		return nil, e.stale(ctx, name)
	}
	if err != nil {
		return nil, fmt.Errorf("save the draft of %q: %w", name, err)
	}
	return draftOf(Draft{Name: name, Document: string(doc), Revision: rev, BaseVersion: base, UpdatedAt: &now, UpdatedBy: by}), nil
}

// ErrInvalidDraft is a draft that cannot be stored at all (too large).
var ErrInvalidDraft = errors.New("invalid draft")

// stale says who saved the draft meanwhile.
func (e *Engine) stale(ctx context.Context, name string) error {
	r, err := e.store.Campaigns().Draft(ctx, name)
	if err != nil {
		return fmt.Errorf("%w (the draft is gone: it was saved as a version or discarded)", ErrStaleDraft)
	}
	return fmt.Errorf("%w: %s saved revision %d at %s", ErrStaleDraft, r.UpdatedBy, r.Revision, r.UpdatedAt.Format(time.RFC3339))
}

// DiscardDraft removes a campaign's draft (none is no error).
func (e *Engine) DiscardDraft(ctx context.Context, name string) error {
	return e.store.Campaigns().DeleteDraft(ctx, name, -1)
}

// SaveDraft makes a new version of the campaign from its draft, if the
// draft is still at revision, and removes the draft: the explicit save.
// The document must parse and keep the campaign's name.
func (e *Engine) SaveDraft(ctx context.Context, name string, revision int64) (*Campaign, error) {
	r, err := e.store.Campaigns().Draft(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("campaign %q has no draft: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if r.Revision != revision {
		return nil, e.stale(ctx, name)
	}
	d, err := campaign.Parse([]byte(r.Document))
	if err != nil {
		return nil, err
	}
	if d.Name != name {
		return nil, &campaign.ValidationError{Problems: []campaign.Problem{{Path: "name", Line: 1,
			Message: fmt.Sprintf("the draft of %q names the campaign %q: keep the name (duplicate the campaign to make another)", name, d.Name)}}}
	}
	err = e.store.InTx(ctx, func(tx *store.Tx) error {
		cs := e.store.Campaigns().On(tx)
		if err := cs.DeleteDraft(ctx, name, revision); err != nil {
			return err
		}
		return e.addVersion(ctx, cs, d.Name, r.Document)
	})
	if errors.Is(err, store.ErrStaleDraft) || store.IsConflict(err) {
		return nil, e.stale(ctx, name)
	}
	if err != nil {
		return nil, err
	}
	return e.Get(ctx, name)
}

// CampaignVersion is one version of a campaign.
type CampaignVersion struct {
	Version     int64      `json:"version"`
	CreatedAt   time.Time  `json:"created_at"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	// Current says the version is the campaign's published one.
	Current  bool   `json:"current"`
	Document string `json:"document,omitempty"`
}

// Versions lists a campaign's versions, newest first.
func (e *Engine) Versions(ctx context.Context, name string) ([]CampaignVersion, error) {
	c, err := e.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	rs, err := e.store.Campaigns().VersionList(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out := make([]CampaignVersion, len(rs))
	for i, r := range rs {
		out[i] = CampaignVersion{Version: r.Version, CreatedAt: r.CreatedAt, PublishedAt: r.PublishedAt, Current: r.Version == c.PublishedVersion}
	}
	return out, nil
}

// Version returns one version of a campaign with its document.
func (e *Engine) Version(ctx context.Context, name string, version int64) (*CampaignVersion, error) {
	c, err := e.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	r, err := e.store.Campaigns().Version(ctx, c.ID, version)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("campaign %q has no version %d: %w", name, version, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &CampaignVersion{Version: version, CreatedAt: r.CreatedAt, PublishedAt: r.PublishedAt, Current: version == c.PublishedVersion, Document: r.Document}, nil
}

package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/engine"
)

// DraftRequest saves a campaign's working draft: the document as typed
// (it need not parse) and the revision it was edited from (0: none).
type DraftRequest struct {
	Document string `json:"document"`
	Revision int64  `json:"revision"`
}

// CampaignDraft returns a campaign's working draft, or its latest version
// as revision 0 when no draft is stored.
func (l *Local) CampaignDraft(ctx context.Context, name string) (*engine.Draft, error) {
	return l.eng.GetDraft(ctx, name)
}

// CampaignDraftPut stores a campaign's working draft, refused with
// engine.ErrStaleDraft when someone else saved it since req.Revision.
func (l *Local) CampaignDraftPut(ctx context.Context, name string, req DraftRequest) (*engine.Draft, error) {
	if req.Revision < 0 {
		return nil, BadRequest("revision must not be negative")
	}
	return l.eng.PutDraft(ctx, name, []byte(req.Document), req.Revision, actorName(ctx))
}

// CampaignDraftDiscard removes a campaign's working draft.
func (l *Local) CampaignDraftDiscard(ctx context.Context, name string) error {
	return l.eng.DiscardDraft(ctx, name)
}

// CampaignDraftSave makes a version of the campaign from its working
// draft at revision (the explicit save), which removes the draft.
func (l *Local) CampaignDraftSave(ctx context.Context, name string, revision int64) (*engine.Campaign, error) {
	return l.eng.SaveDraft(ctx, name, revision)
}

// CronNext lists the next n (1 to 100) occurrences of a five-field cron
// expression in an IANA time zone ("" is UTC), as a scheduler runs them.
func (l *Local) CronNext(_ context.Context, expr, timezone string, n int) ([]time.Time, error) {
	if n < 1 || n > 100 {
		return nil, BadRequest("n must be between 1 and 100")
	}
	if len(strings.Fields(expr)) != 5 {
		return nil, BadRequest(fmt.Sprintf("cron %q: want 5 fields (minute hour day-of-month month day-of-week)", expr))
	}
	if _, err := time.LoadLocation(timezone); err != nil {
		return nil, BadRequest(fmt.Sprintf("time zone %q: not an IANA time zone", timezone))
	}
	out, err := l.eng.Occurrences(&campaign.Schedule{Cron: expr, TimeZone: timezone}, n)
	if err != nil {
		return nil, BadRequest(err.Error())
	}
	return out, nil
}

// actorName is who calls, as the audit records it ("token:ci"), or
// "unknown".
func actorName(ctx context.Context) string {
	if a, ok := audit.From(ctx); ok && !a.IsZero() {
		return a.String()
	}
	return "unknown"
}

// CampaignVersions lists a campaign's versions, newest first.
func (l *Local) CampaignVersions(ctx context.Context, name string) ([]engine.CampaignVersion, error) {
	return l.eng.Versions(ctx, name)
}

// CampaignVersion returns one version of a campaign with its document.
func (l *Local) CampaignVersion(ctx context.Context, name string, version int64) (*engine.CampaignVersion, error) {
	return l.eng.Version(ctx, name, version)
}

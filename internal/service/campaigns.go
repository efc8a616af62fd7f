package service

import (
	"context"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
)

// PreviewRequest names the profile a channel activity's message is
// rendered for.
type PreviewRequest struct {
	// Key holds the profile's key values in key order.
	Key []any `json:"key"`
	// Document, when set, is the campaign document to render the activity
	// of (the draft being edited), instead of the latest version.
	Document string `json:"document,omitempty"`
}

// ProofRequest sends a profile's rendered message to test addresses.
type ProofRequest struct {
	Key      []any    `json:"key"`
	To       []string `json:"to"`
	Document string   `json:"document,omitempty"`
}

// ProofResponse is the outcome of a proof: the message sent and one
// result per test address.
type ProofResponse struct {
	Message *channel.Message `json:"message"`
	Results []channel.Result `json:"results"`
}

// CampaignSave stores a campaign document (new campaign or new version).
func (l *Local) CampaignSave(ctx context.Context, doc []byte) (*engine.Campaign, error) {
	return l.eng.Save(ctx, doc)
}

// CampaignValidate checks a document against the data model.
func (l *Local) CampaignValidate(ctx context.Context, doc []byte) (*engine.Validation, error) {
	return l.eng.Check(ctx, doc)
}

// Campaign returns one campaign.
func (l *Local) Campaign(ctx context.Context, name string) (*engine.Campaign, error) {
	return l.eng.Get(ctx, name)
}

// CampaignPublish publishes a campaign's latest version.
func (l *Local) CampaignPublish(ctx context.Context, name string) (*engine.Campaign, error) {
	return l.eng.Publish(ctx, name)
}

// CampaignDuplicate copies a campaign under a new name.
func (l *Local) CampaignDuplicate(ctx context.Context, name, newName string) (*engine.Campaign, error) {
	if newName == "" {
		return nil, BadRequest(`give the new name as {"name": "…"}`)
	}
	return l.eng.Duplicate(ctx, name, newName)
}

// CampaignArchive archives a campaign.
func (l *Local) CampaignArchive(ctx context.Context, name string) (*engine.Campaign, error) {
	return l.eng.Archive(ctx, name)
}

// CampaignUnarchive brings an archived campaign back.
func (l *Local) CampaignUnarchive(ctx context.Context, name string) (*engine.Campaign, error) {
	return l.eng.Unarchive(ctx, name)
}

// CampaignDelete deletes a campaign that never ran.
func (l *Local) CampaignDelete(ctx context.Context, name string) error {
	return l.eng.Delete(ctx, name)
}

// Campaigns lists the campaigns.
func (l *Local) Campaigns(ctx context.Context) ([]engine.Campaign, error) { return l.eng.List(ctx) }

// CampaignSchedule lists the next n occurrences of a campaign's schedule.
func (l *Local) CampaignSchedule(ctx context.Context, name string, n int) ([]time.Time, error) {
	return l.eng.NextOccurrences(ctx, name, n)
}

// PreviewMessage renders a campaign's channel activity for one profile.
func (l *Local) PreviewMessage(ctx context.Context, name, activity string, req PreviewRequest) (*channel.Message, error) {
	return delivery.PreviewMessage(ctx, l.store, name, activity, docOf(req.Document), req.Key)
}

// docOf is a request's document, nil when it gives none.
func docOf(doc string) []byte {
	if doc == "" {
		return nil
	}
	return []byte(doc)
}

// SendProof renders a campaign's channel activity for one profile and
// sends it to test addresses through the providers; the outbox and the
// figures are untouched.
func (l *Local) SendProof(ctx context.Context, name, activity string, req ProofRequest) (*channel.Message, []channel.Result, error) {
	if l.providers == nil {
		return nil, nil, errNoProviders
	}
	if len(req.To) == 0 {
		return nil, nil, BadRequest(`give the test addresses as {"to": ["…"]}`)
	}
	msg, err := delivery.PreviewMessage(ctx, l.store, name, activity, docOf(req.Document), req.Key)
	if err != nil {
		return nil, nil, err
	}
	res, err := delivery.SendProof(ctx, l.providers, msg, req.To)
	if err != nil {
		return nil, nil, err
	}
	return msg, res, nil
}

package service_test

import (
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
)

func TestCampaignOperations(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		v := got(svc.CampaignValidate(ctx, []byte(mailCampaign))).must(t)
		if !v.Valid || v.Name != "hello" || v.Activities != 3 {
			t.Errorf("validate: %+v", v)
		}
		var cerr *campaign.ValidationError
		_, err := svc.CampaignSave(ctx, []byte(strings.Replace(mailCampaign, "activities:", "activities: [", 1)))
		wantAs(t, "invalid campaign", err, &cerr)

		draft := strings.Replace(mailCampaign, "name: hello", "name: draft", 1)
		c := got(svc.CampaignSave(ctx, []byte(draft))).must(t)
		if c.Name != "draft" || c.LatestVersion != 1 || c.PublishedVersion != 0 {
			t.Errorf("save: %+v", c)
		}
		_, err = svc.RunStart(ctx, "draft", engine.RunOptions{Mode: engine.ModeLive})
		wantIs(t, "start a draft", err, engine.ErrNotPublished)
		if c := got(svc.Campaign(ctx, "hello")).must(t); c.PublishedVersion != 1 || !strings.Contains(c.Document, "mail:") {
			t.Errorf("get: %+v", c)
		}
		_, err = svc.Campaign(ctx, "nonesuch")
		wantIs(t, "unknown campaign", err, store.ErrNotFound)
		if c := got(svc.CampaignDuplicate(ctx, "hello", "copy")).must(t); c.Name != "copy" || c.LatestVersion != 1 {
			t.Errorf("duplicate: %+v", c)
		}
		_, err = svc.CampaignDuplicate(ctx, "hello", "")
		wantIs(t, "duplicate without a name", err, service.ErrBadRequest)
		if list := got(svc.Campaigns(ctx)).must(t); len(list) != 3 {
			t.Errorf("list: %+v", list)
		}
		if next := got(svc.CampaignSchedule(ctx, "hello", 3)).must(t); len(next) != 0 {
			t.Errorf("schedule of an unscheduled campaign: %v", next)
		}
	})
}

func TestMessagePreviewAndProof(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		msg := got(svc.PreviewMessage(ctx, "hello", "mail", service.PreviewRequest{Key: []any{1}})).must(t)
		if msg.Channel != channel.Email || msg.To != "a@example.com" || msg.Email == nil || msg.Email.Subject != "Hello FR" {
			t.Errorf("preview: %+v", msg)
		}
		_, err := svc.PreviewMessage(ctx, "hello", "mail", service.PreviewRequest{Key: []any{1, 2}})
		wantIs(t, "a key of two values", err, delivery.ErrInvalidKey)
		_, err = svc.PreviewMessage(ctx, "hello", "mail", service.PreviewRequest{Key: []any{99}})
		wantIs(t, "an unknown profile", err, store.ErrNotFound)

		sent, res, err := svc.SendProof(ctx, "hello", "mail", service.ProofRequest{Key: []any{1}, To: []string{"qa@example.com"}})
		if err != nil || sent == nil || len(res) != 1 || res[0].Outcome != channel.Sent {
			t.Errorf("proof: %+v %+v %v", sent, res, err)
		}
		_, _, err = svc.SendProof(ctx, "hello", "mail", service.ProofRequest{Key: []any{1}, To: []string{"not an address"}})
		wantIs(t, "a bad test address", err, channel.ErrAddress)
		_, _, err = svc.SendProof(ctx, "hello", "mail", service.ProofRequest{Key: []any{1}})
		wantIs(t, "no test address", err, service.ErrBadRequest)
		_, _, err = im.bare.SendProof(ctx, "hello", "mail", service.ProofRequest{Key: []any{1}, To: []string{"qa@example.com"}})
		wantIs(t, "no providers", err, delivery.ErrNoProvider)
	})
}

package service_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/message"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// TestCampaignDrafts: a working draft is stored whether it parses or not,
// makes no version, warns the second of two editors (stale_draft, across
// the wire), and becomes a version only on the explicit save; a new
// campaign starts as a draft; an unparseable or renamed draft is not
// saved.
func TestCampaignDrafts(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		d := got(svc.CampaignDraft(ctx, "hello")).must(t)
		if d.Revision != 0 || d.BaseVersion != 1 || d.Document != mailCampaign || !d.Parses {
			t.Fatalf("the draft of a campaign never edited: %+v", d)
		}
		broken := strings.Replace(mailCampaign, "transitions:", "transitions: [", 1)
		d = got(svc.CampaignDraftPut(ctx, "hello", service.DraftRequest{Document: broken})).must(t)
		if d.Revision != 1 || d.Parses || len(d.Problems) == 0 || d.UpdatedBy == "" {
			t.Fatalf("an unparseable draft: %+v", d)
		}
		if c := got(svc.Campaign(ctx, "hello")).must(t); c.LatestVersion != 1 {
			t.Errorf("a draft made version %d", c.LatestVersion)
		}
		if d := got(svc.CampaignDraft(ctx, "hello")).must(t); d.Document != broken || d.Revision != 1 {
			t.Errorf("the draft read back: %+v", d)
		}
		// A second editor who started from the version is warned.
		_, err := svc.CampaignDraftPut(ctx, "hello", service.DraftRequest{Document: mailCampaign})
		wantIs(t, "a draft saved over another's", err, engine.ErrStaleDraft)
		_, err = svc.CampaignDraftSave(ctx, "hello", 1)
		wantAs(t, "saving an unparseable draft", err, new(*campaign.ValidationError))
		edited := strings.Replace(mailCampaign, "Hello {{", "Bonjour {{", 1)
		got(svc.CampaignDraftPut(ctx, "hello", service.DraftRequest{Document: edited, Revision: 1})).must(t)
		_, err = svc.CampaignDraftSave(ctx, "hello", 1)
		wantIs(t, "saving an old revision", err, engine.ErrStaleDraft)
		c := got(svc.CampaignDraftSave(ctx, "hello", 2)).must(t)
		if c.LatestVersion != 2 || c.PublishedVersion != 1 || c.Document != edited {
			t.Errorf("the saved draft: %+v", c)
		}
		if d := got(svc.CampaignDraft(ctx, "hello")).must(t); d.Revision != 0 || d.BaseVersion != 2 {
			t.Errorf("the draft after its save: %+v", d)
		}
		// The versions: newest first, the published one current; one
		// version's document, to compare a draft with.
		vs := got(svc.CampaignVersions(ctx, "hello")).must(t)
		if len(vs) != 2 || vs[0].Version != 2 || vs[0].Current || vs[1].Version != 1 || !vs[1].Current || vs[1].PublishedAt == nil || vs[0].Document != "" {
			t.Errorf("versions: %+v", vs)
		}
		if v := got(svc.CampaignVersion(ctx, "hello", 1)).must(t); v.Document != mailCampaign || !v.Current {
			t.Errorf("version 1: %+v", v)
		}
		_, err = svc.CampaignVersion(ctx, "hello", 9)
		wantIs(t, "a version that does not exist", err, store.ErrNotFound)
		_, err = svc.CampaignDraftSave(ctx, "hello", 0)
		wantIs(t, "saving no draft", err, store.ErrNotFound)

		// A new campaign: a draft first, under a name the document keeps;
		// the list shows it (version 0) with its draft, and the others'.
		_, err = svc.CampaignDraft(ctx, "fresh")
		wantIs(t, "the draft of nothing", err, store.ErrNotFound)
		got(svc.CampaignDraftPut(ctx, "fresh", service.DraftRequest{Document: "name: fresh\n"})).must(t)
		got(svc.CampaignDraftPut(ctx, "hello", service.DraftRequest{Document: edited})).must(t)
		list := got(svc.Campaigns(ctx)).must(t)
		if len(list) != 2 || list[0].Name != "fresh" || list[0].LatestVersion != 0 || list[0].Draft == nil || list[0].Draft.Revision != 1 ||
			list[1].Name != "hello" || list[1].Draft == nil || list[1].LatestVersion != 2 {
			t.Fatalf("the list with drafts: %+v", list)
		}
		if err := svc.CampaignDraftDiscard(ctx, "fresh"); err != nil {
			t.Fatal(err)
		}
		if err := svc.CampaignDraftDiscard(ctx, "hello"); err != nil {
			t.Fatal(err)
		}
		_, err = svc.CampaignDraftPut(ctx, "no good", service.DraftRequest{Document: "x"})
		wantIs(t, "a draft under a bad name", err, engine.ErrInvalidName)
		fresh := strings.Replace(mailCampaign, "name: hello", "name: fresh", 1)
		got(svc.CampaignDraftPut(ctx, "fresh", service.DraftRequest{Document: mailCampaign})).must(t)
		_, err = svc.CampaignDraftSave(ctx, "fresh", 1)
		wantAs(t, "a draft naming another campaign", err, new(*campaign.ValidationError))
		got(svc.CampaignDraftPut(ctx, "fresh", service.DraftRequest{Document: fresh, Revision: 1})).must(t)
		if c := got(svc.CampaignDraftSave(ctx, "fresh", 2)).must(t); c.LatestVersion != 1 || c.Status != engine.StatusDraft {
			t.Errorf("a new campaign saved from its draft: %+v", c)
		}
		got(svc.CampaignDraftPut(ctx, "fresh", service.DraftRequest{Document: "junk"})).must(t)
		if err := svc.CampaignDraftDiscard(ctx, "fresh"); err != nil {
			t.Fatal(err)
		}
		if d := got(svc.CampaignDraft(ctx, "fresh")).must(t); d.Revision != 0 || d.Document != fresh {
			t.Errorf("the draft after a discard: %+v", d)
		}
	})
}

// TestPreviewOfADraft: the preview renders the document it is given (the
// draft being edited, even of a campaign never saved), and a template's
// problem names its field and line.
func TestPreviewOfADraft(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		doc := strings.Replace(mailCampaign, "Hello {{ profile.country }}", "Draft for {{ profile.country }}", 1)
		doc = strings.Replace(doc, "name: hello", "name: unsaved", 1)
		msg := got(svc.PreviewMessage(ctx, "unsaved", "mail", service.PreviewRequest{Key: []any{1}, Document: doc})).must(t)
		if msg.Email == nil || msg.Email.Subject != "Draft for FR" {
			t.Fatalf("the draft's preview: %+v", msg.Email)
		}
		// A campaign without a dimension of its own: the recipients are of
		// the dimension the graph brings to the activity.
		nodim := strings.Replace(strings.Replace(doc, "dimension: customers\n", "", 1), "{type: build_audience, query:", "{type: build_audience, dimension: customers, query:", 1)
		if !strings.Contains(nodim, "dimension: customers, query") || strings.Contains(nodim, "\ndimension:") {
			t.Fatalf("the document without a campaign dimension: %s", nodim)
		}
		if msg := got(svc.PreviewMessage(ctx, "unsaved", "mail", service.PreviewRequest{Key: []any{1}, Document: nodim})).must(t); msg.Email.Subject != "Draft for FR" {
			t.Errorf("the preview without a campaign dimension: %+v", msg.Email)
		}
		bad := strings.Replace(mailCampaign, "html: '<p>Hello</p>", "html: '<p>Hello</p>\n\n      {{ profile.nope }}", 1)
		_, err := svc.PreviewMessage(ctx, "hello", "mail", service.PreviewRequest{Key: []any{1}, Document: bad})
		var verr *message.ValidationError
		if !errors.As(err, &verr) || len(verr.Problems) != 1 || verr.Problems[0].Field != "html" || verr.Problems[0].Line != 2 {
			t.Fatalf("a template problem: %v (%+v)", err, verr)
		}
	})
}

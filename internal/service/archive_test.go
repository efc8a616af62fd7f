package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// TestCampaignArchiveAndDelete: an archived campaign starts no run (live
// or simulated), takes no version, cannot be published and loses its
// schedule; unarchived it is published again with its schedule planned.
// A campaign that never ran can be deleted (its name is then free); one
// with runs cannot (has_runs) — the errors survive the wire.
func TestCampaignArchiveAndDelete(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		weekly := strings.Replace(mailCampaign, "name: hello\n", "name: weekly\nschedule: {cron: '0 9 * * 1'}\n", 1)
		got(svc.CampaignSave(ctx, []byte(weekly))).must(t)
		got(svc.CampaignPublish(ctx, "weekly")).must(t)
		if !scheduled(t, im, "weekly") {
			t.Fatal("the published weekly campaign has no schedule")
		}

		c := got(svc.CampaignArchive(ctx, "weekly")).must(t)
		if c.Status != engine.StatusArchived || c.PublishedVersion != 1 {
			t.Errorf("archived: %+v", c)
		}
		if scheduled(t, im, "weekly") {
			t.Error("an archived campaign keeps its schedule")
		}
		_, err := svc.RunStart(ctx, "weekly", engine.RunOptions{Mode: engine.ModeLive})
		wantIs(t, "a live run of an archived campaign", err, engine.ErrArchived)
		_, err = svc.RunStart(ctx, "weekly", engine.RunOptions{Mode: engine.ModeSimulate})
		wantIs(t, "a simulation of an archived campaign", err, engine.ErrArchived)
		_, err = svc.CampaignSave(ctx, []byte(weekly))
		wantIs(t, "a new version of an archived campaign", err, engine.ErrArchived)
		_, err = svc.CampaignPublish(ctx, "weekly")
		wantIs(t, "publishing an archived campaign", err, engine.ErrArchived)
		if c := got(svc.CampaignArchive(ctx, "weekly")).must(t); c.Status != engine.StatusArchived || c.LatestVersion != 1 {
			t.Errorf("archived twice: %+v", c)
		}
		if list := got(svc.Campaigns(ctx)).must(t); !hasCampaign(list, "weekly", engine.StatusArchived) {
			t.Errorf("the list does not show the archived campaign: %+v", list)
		}

		c = got(svc.CampaignUnarchive(ctx, "weekly")).must(t)
		if c.Status != engine.StatusPublished || !scheduled(t, im, "weekly") {
			t.Errorf("unarchived: %+v (scheduled: %v)", c, scheduled(t, im, "weekly"))
		}
		run := got(svc.RunStart(ctx, "weekly", engine.RunOptions{Mode: engine.ModeSimulate})).must(t)
		if run.Campaign != "weekly" {
			t.Errorf("run after unarchive: %+v", run)
		}
		err = svc.CampaignDelete(ctx, "weekly")
		wantIs(t, "deleting a campaign with runs", err, engine.ErrHasRuns)

		draft := strings.Replace(mailCampaign, "name: hello", "name: oops", 1)
		got(svc.CampaignSave(ctx, []byte(draft))).must(t)
		got(svc.CampaignArchive(ctx, "oops")).must(t)
		if c := got(svc.CampaignUnarchive(ctx, "oops")).must(t); c.Status != engine.StatusDraft {
			t.Errorf("an unarchived draft: %+v", c)
		}
		got(svc.CampaignSave(ctx, []byte(draft))).must(t)
		if err := svc.CampaignDelete(ctx, "oops"); err != nil {
			t.Fatalf("delete a campaign that never ran: %v", err)
		}
		_, err = svc.Campaign(ctx, "oops")
		wantIs(t, "a deleted campaign", err, store.ErrNotFound)
		err = svc.CampaignDelete(ctx, "oops")
		wantIs(t, "deleting it again", err, store.ErrNotFound)
		if c := got(svc.CampaignSave(ctx, []byte(draft))).must(t); c.LatestVersion != 1 {
			t.Errorf("the name of a deleted campaign starts over: %+v", c)
		}
	})
}

// scheduled tells whether the campaign has an occurrence planned.
func scheduled(t *testing.T, im impl, name string) bool {
	t.Helper()
	c, err := im.store.Campaigns().Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	due, err := im.store.Campaigns().DueSchedules(context.Background(), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range due {
		if d.CampaignID == c.ID {
			return true
		}
	}
	return false
}

func hasCampaign(list []engine.Campaign, name, status string) bool {
	for _, c := range list {
		if c.Name == name && c.Status == status {
			return true
		}
	}
	return false
}

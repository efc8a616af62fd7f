package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// schedule returns a document's schedule: the campaign's, else its
// scheduler activity's.
func schedule(d *campaign.Document) (*campaign.Schedule, error) {
	if d.Schedule != nil {
		return d.Schedule, nil
	}
	for _, a := range d.Activities {
		if a.Type == "scheduler" {
			var s campaign.Scheduler
			if err := a.Decode(&s); err != nil {
				return nil, err
			}
			return &s, nil
		}
	}
	return nil, nil
}

// Next returns the first occurrence of a schedule strictly after t, or the
// zero time when there is none. A cron schedule's times are wall times of
// its time zone: one the clocks jump over runs at the jump, one they pass
// twice runs once (cron.go).
func Next(s *campaign.Schedule, t time.Time) (time.Time, error) {
	if s == nil {
		return time.Time{}, nil
	}
	if !s.At.IsZero() {
		if s.At.After(t) {
			return s.At.UTC(), nil
		}
		return time.Time{}, nil
	}
	loc := time.UTC
	if s.TimeZone != "" {
		l, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			return time.Time{}, fmt.Errorf("schedule time zone: %w", err)
		}
		loc = l
	}
	spec, err := parseCron(s.Cron)
	if err != nil {
		return time.Time{}, fmt.Errorf("schedule cron %q: %w", s.Cron, err)
	}
	if !s.From.IsZero() && t.Before(s.From) {
		t = s.From.Add(-time.Second)
	}
	next := spec.next(t, loc) // in local wall time, across clock changes (cron.go)
	if next.IsZero() || !s.Until.IsZero() && next.After(s.Until) {
		return time.Time{}, nil
	}
	return next.UTC(), nil
}

// Occurrences lists the next n occurrences of a schedule after now.
func (e *Engine) Occurrences(s *campaign.Schedule, n int) ([]time.Time, error) {
	var out []time.Time
	t := e.Now()
	for range n {
		next, err := Next(s, t)
		if err != nil {
			return nil, err
		}
		if next.IsZero() {
			break
		}
		out = append(out, next)
		t = next
	}
	return out, nil
}

// planSchedule records the next occurrence of a published campaign.
func (e *Engine) planSchedule(ctx context.Context, tx *store.Tx, campaignID, version int64, d *campaign.Document, now time.Time) error {
	s, err := schedule(d)
	if err != nil {
		return err
	}
	next, err := Next(s, now)
	if err != nil {
		return err
	}
	return e.store.Campaigns().On(tx).Schedule(ctx, campaignID, version, next)
}

// Tick starts a live run for every scheduled campaign whose occurrence has
// come. An occurrence missed while Fanfare was down runs once, late (and
// is logged); older missed occurrences are not run again.
func (e *Engine) Tick(ctx context.Context) (int, error) {
	now := e.Now().UTC()
	started := 0
	err := e.store.InTx(ctx, func(tx *store.Tx) error {
		list, err := e.store.Campaigns().On(tx).DueSchedules(ctx, now)
		if err != nil {
			return fmt.Errorf("due schedules: %w", err)
		}
		for _, d := range list {
			ok, err := e.tickOne(ctx, tx, d, now)
			if err != nil {
				return err
			}
			if ok {
				started++
			}
		}
		return nil
	})
	if started > 0 {
		e.notify()
	}
	return started, err
}

// tickOne starts the run of a due schedule's latest occurrence not after
// now, unless one exists, and moves the schedule on; started says whether
// a run started.
func (e *Engine) tickOne(ctx context.Context, tx *store.Tx, d store.DueSchedule, now time.Time) (started bool, err error) {
	doc, err := e.document(ctx, e.store.Campaigns().On(tx), d.CampaignID, d.Version)
	if err != nil {
		return false, err
	}
	s, err := schedule(doc)
	if err != nil {
		return false, err
	}
	// The latest occurrence not after now stands for all missed ones.
	occ, skipped := d.At, 0
	for {
		n, err := Next(s, occ)
		if err != nil {
			return false, err
		}
		if n.IsZero() || n.After(now) {
			break
		}
		occ, skipped = n, skipped+1
	}
	if late := now.Sub(occ); late > time.Minute || skipped > 0 {
		e.log.Warn("running a missed occurrence late", "campaign", doc.Name, "occurrence", occ, "late", late.Round(time.Second), "older_missed_not_run", skipped)
	}
	exists, err := e.store.Runs().On(tx).AtOccurrence(ctx, d.CampaignID, occ)
	if err != nil {
		return false, err
	}
	if exists == 0 {
		if _, err := e.startTx(ctx, tx, d.CampaignID, d.Version, RunOptions{Mode: ModeLive, Trigger: "schedule", Occurrence: occ}); err != nil {
			return false, err
		}
		started = true
	}
	next, err := Next(s, now)
	if err != nil {
		return false, err
	}
	return started, e.store.Campaigns().On(tx).AdvanceSchedule(ctx, d.CampaignID, next, occ)
}

// NextOccurrences returns the next n occurrences of a campaign's schedule
// (its published version, else its latest), or none when it has none.
func (e *Engine) NextOccurrences(ctx context.Context, name string, n int) ([]time.Time, error) {
	c, err := e.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	version := c.LatestVersion
	if c.PublishedVersion > 0 {
		version = c.PublishedVersion
	}
	d, err := e.document(ctx, e.store.Campaigns(), c.ID, version)
	if err != nil {
		return nil, err
	}
	s, err := schedule(d)
	if err != nil || s == nil {
		return nil, err
	}
	if n <= 0 || n > 100 {
		n = 10
	}
	return e.Occurrences(s, n)
}

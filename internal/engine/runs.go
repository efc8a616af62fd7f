package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/jobs"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Run modes.
const (
	ModeSimulate = "simulate"
	ModeLive     = "live"
)

// Run statuses.
const (
	RunRunning   = "running"
	RunPaused    = "paused"
	RunWaiting   = "waiting" // an activity failed; an operator may retry it
	RunCompleted = "completed"
	RunFailed    = "failed"
	RunStopped   = "stopped"
)

// Activity statuses within a run.
const (
	ActPending = "pending" // inputs not all resolved
	ActQueued  = "queued"  // a job is enqueued
	ActRunning = "running"
	ActHeld    = "held" // ready, but the run is paused
	ActDone    = "done"
	ActSkipped = "skipped" // every input was a branch not taken
	ActFailed  = "failed"
	ActStopped = "stopped" // the run was stopped before it ran
)

// held marks the job of an activity of a paused run: due never, until the
// run resumes.
var held = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// retries is how many attempts an activity gets before its failure stops
// its branch.
func retries(d *campaign.Document) int {
	if d.Policy.Retries > 0 {
		return d.Policy.Retries
	}
	return 3
}

// RunOptions say how to start a run.
type RunOptions struct {
	Mode   string         `json:"mode"`
	Params map[string]any `json:"params,omitempty"`
	// Trigger says why the run started: manual, schedule, signal.
	Trigger string `json:"trigger,omitempty"`
	// Occurrence is the scheduled time a recurring run stands for.
	Occurrence time.Time `json:"occurrence,omitzero"`
}

// Run is a run's header.
type Run struct {
	ID         int64          `json:"id"`
	Campaign   string         `json:"campaign"`
	CampaignID int64          `json:"campaign_id"`
	Version    int64          `json:"version"`
	Mode       string         `json:"mode"`
	Status     string         `json:"status"`
	Trigger    string         `json:"trigger"`
	Params     map[string]any `json:"params,omitempty"`
	Occurrence *time.Time     `json:"occurrence,omitempty"`
	Error      string         `json:"error,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	FinishedAt *time.Time     `json:"finished_at,omitempty"`
}

// Start starts a run of a campaign: live runs use the published version,
// simulations the latest one.
func (e *Engine) Start(ctx context.Context, name string, opts RunOptions) (*Run, error) {
	c, err := e.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	if opts.Mode == "" {
		opts.Mode = ModeSimulate
	}
	version := c.LatestVersion
	switch opts.Mode {
	case ModeLive:
		if c.PublishedVersion == 0 {
			return nil, ErrNotPublished
		}
		version = c.PublishedVersion
	case ModeSimulate:
		// A simulation validates what it runs, as publishing would.
		if _, err := e.Validate(ctx, []byte(c.Document)); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("mode must be %q or %q", ModeSimulate, ModeLive)
	}
	if opts.Trigger == "" {
		opts.Trigger = "manual"
	}
	var id int64
	err = e.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = e.startTx(ctx, tx, c.ID, version, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	e.notify()
	return e.Run1(ctx, id)
}

// startTx creates a run and queues its entry activities inside tx.
func (e *Engine) startTx(ctx context.Context, tx *store.Tx, campaignID, version int64, opts RunOptions) (int64, error) {
	if err := notArchived(ctx, e.store.Campaigns().On(tx), campaignID); err != nil {
		return 0, err
	}
	d, err := e.document(ctx, e.store.Campaigns().On(tx), campaignID, version)
	if err != nil {
		return 0, err
	}
	params, _ := json.Marshal(opts.Params)
	if opts.Params == nil {
		params = []byte("{}")
	}
	now := e.Now().UTC()
	runs := e.store.Runs().On(tx)
	id, err := runs.Create(ctx, store.NewRun{CampaignID: campaignID, Version: version, Mode: opts.Mode, Status: RunRunning,
		Trigger: opts.Trigger, Params: string(params), Occurrence: opts.Occurrence, CreatedAt: now})
	if err != nil {
		return 0, fmt.Errorf("create run: %w", err)
	}
	who := by(ctx)
	if err := e.note(ctx, runs, id, "", LogInfo, LogRun, fmt.Sprintf("%s run of version %d started (%s)%s", opts.Mode, version, opts.Trigger, byText(who)),
		map[string]any{"mode": opts.Mode, "version": version, "trigger": opts.Trigger, "by": who}); err != nil {
		return 0, err
	}
	inputs := map[string]int{}
	for _, t := range d.Transitions {
		inputs[t.To]++
	}
	acts := make([]store.NewActivity, len(d.Activities))
	for seq, a := range d.Activities {
		acts[seq] = store.NewActivity{ID: a.ID, Seq: seq, Type: a.Type, Status: ActPending, Inputs: inputs[a.ID]}
		if inputs[a.ID] == 0 {
			acts[seq].Status = ActQueued
		}
	}
	if err := runs.AddActivities(ctx, id, acts); err != nil {
		return 0, fmt.Errorf("create the run's activities: %w", err)
	}
	for seq, a := range d.Activities {
		if acts[seq].Status == ActQueued {
			if err := e.enqueue(ctx, tx, id, d, a, now); err != nil {
				return 0, err
			}
		}
	}
	return id, nil
}

// activityJob is the payload of an activity job.
type activityJob struct {
	RunID    int64  `json:"run_id"`
	Activity string `json:"activity"`
}

func jobKey(runID int64, activity string) string { return fmt.Sprintf("run/%d/%s", runID, activity) }

// enqueue queues an activity's execution; a wait activity's job comes due
// when the wait is over.
func (e *Engine) enqueue(ctx context.Context, tx store.Querier, runID int64, d *campaign.Document, a *campaign.Activity, now time.Time) error {
	payload, opts := activityJobFor(runID, d, a, now)
	if _, err := e.queue.Enqueue(ctx, tx, KindActivity, payload, opts); err != nil {
		return fmt.Errorf("queue activity %s: %w", a.ID, err)
	}
	return nil
}

// activityJobFor is the job of an activity of a run: due now, or when its
// wait ends.
func activityJobFor(runID int64, d *campaign.Document, a *campaign.Activity, now time.Time) (activityJob, jobs.EnqueueOptions) {
	runAfter := now
	if a.Type == "wait" {
		var w campaign.Wait
		if err := a.Decode(&w); err == nil {
			switch {
			case !w.Until.IsZero():
				runAfter = w.Until
			case w.Duration != "":
				if d, err := audience.ParseDuration(w.Duration); err == nil {
					runAfter = d.Shift(now, 1)
				}
			}
		}
	}
	return activityJob{RunID: runID, Activity: a.ID}, jobs.EnqueueOptions{DedupeKey: jobKey(runID, a.ID), RunAfter: runAfter, MaxAttempts: retries(d)}
}

// Run1 returns a run's header.
func (e *Engine) Run1(ctx context.Context, id int64) (*Run, error) {
	x, err := e.store.Runs().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("run %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read run %d: %w", id, err)
	}
	r := &Run{ID: x.ID, Campaign: x.Campaign, CampaignID: x.CampaignID, Version: x.Version, Mode: x.Mode, Status: x.Status,
		Trigger: x.Trigger, Occurrence: x.Occurrence, Error: x.Error, CreatedAt: x.CreatedAt, FinishedAt: x.FinishedAt}
	_ = json.Unmarshal([]byte(x.Params), &r.Params)
	return r, nil
}

// Runs lists a campaign's runs, newest first.
func (e *Engine) Runs(ctx context.Context, name string, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 50
	}
	ids, err := e.store.Runs().IDs(ctx, name, limit)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return e.runsOf(ctx, ids)
}

// RecentRuns lists the latest runs of every campaign, newest first.
func (e *Engine) RecentRuns(ctx context.Context, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 50
	}
	ids, err := e.store.Runs().Recent(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return e.runsOf(ctx, ids)
}

// runsOf reads the runs of ids, in their order.
func (e *Engine) runsOf(ctx context.Context, ids []int64) ([]Run, error) {
	out := make([]Run, 0, len(ids))
	for _, id := range ids {
		r, err := e.Run1(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, nil
}

package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/jobs"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// input is one resolved input of an activity: the rows an upstream output
// carries. A control input (from start, scheduler, signal) has no table.
type input struct {
	From      string
	Port      string
	Table     string
	Dimension string
	Columns   []string
	Count     int64
}

// output is what an executor produced on one port. A port an executor does
// not return is a branch not taken. Control outputs have no table.
type output struct {
	Port      string
	Table     string
	Dimension string
	Control   bool
	// Count and Columns are filled in by the engine from the table.
	Count   int64
	Columns []string
}

// runState is what executing an activity of a run needs to know.
type runState struct {
	run   *Run
	doc   *campaign.Document
	model *datamodel.Model
}

func (e *Engine) loadState(ctx context.Context, runID int64) (*runState, error) {
	r, err := e.Run1(ctx, runID)
	if err != nil {
		return nil, err
	}
	d, err := e.document(ctx, e.store.Campaigns(), r.CampaignID, r.Version)
	if err != nil {
		return nil, err
	}
	m, _, err := schema.Current(ctx, e.store)
	if err != nil {
		return nil, fmt.Errorf("read the data model: %w", err)
	}
	return &runState{run: r, doc: d, model: m}, nil
}

func activityByID(d *campaign.Document, id string) (int, *campaign.Activity) {
	for i, a := range d.Activities {
		if a.ID == id {
			return i, a
		}
	}
	return -1, nil
}

// taken is the activity a worker takes on from the one it finished,
// inside the finishing transaction (propagate): its job, leased to the
// worker and marked running, with the run's state and the activity's
// start. The worker runs it at once, without a claim or a begin of its own:
// two commits and the run's reload fewer per activity along a chain.
type taken struct {
	job   *jobs.Job
	st    *runState
	start time.Time
}

// execute runs one claimed activity job to its end: done, retried, or
// failed per the campaign's policy. It returns the next activity the
// worker took on, if any.
func (e *Engine) execute(ctx context.Context, j *jobs.Job) *taken {
	return e.run1(ctx, &taken{job: j})
}

// run1 runs an activity job, claimed (t.st nil) or taken on from the
// previous activity, and returns the next one taken on.
func (e *Engine) run1(ctx context.Context, t *taken) *taken {
	j := t.job
	p, st, seq, act, ok := e.open(ctx, t)
	if !ok {
		return nil
	}
	log := e.log.With("run", p.RunID, "activity", p.Activity)
	start, clock := t.start, t.start
	log.Info("activity started", "type", act.Type, "attempt", j.Attempts)
	if t.st == nil {
		start = e.Now().UTC()
		clock = e.begin(ctx, log, p, j.Attempts, start)
	}
	// Tables left by an earlier attempt that died are dropped first. A
	// first attempt has none to find (an operator's retry, which starts
	// the attempts over, sweeps them itself), and the sweep lists the
	// schema's tables: it is skipped.
	if j.Attempts > 1 {
		e.dropStray(ctx, p.RunID, seq, 0)
	}

	hbCtx, stopHeartbeat := context.WithCancel(ctx)
	go e.heartbeat(hbCtx, j)
	env := &env{ctx: ctx, e: e, st: st, act: act, seq: seq, attempt: j.Attempts, now: clock, started: start}
	outs, err := e.runActivity(env)
	if err == nil {
		// Counting a large output takes a while: the lease is kept.
		err = e.describe(ctx, outs)
	}
	stopHeartbeat()
	var (
		next *taken
		wake bool
	)
	if err == nil {
		next, wake, err = e.finish(ctx, j, env, outs)
		if errors.Is(err, jobs.ErrLeaseLost) {
			e.observer.ActivityDone(act.Type, ActivityOutcomeLeaseLost, e.Now().Sub(start))
			log.Warn("another worker took this activity over; its result is discarded")
			e.noteApart(ctx, p.RunID, p.Activity, LogWarn, LogLeaseLost, fmt.Sprintf("attempt %d overtaken by another worker; its result is discarded", j.Attempts), map[string]any{"attempt": j.Attempts})
			e.dropStray(context.WithoutCancel(ctx), p.RunID, seq, j.Attempts)
			return nil
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			// Shutting down: the lease will pass the work to the next process.
			return nil
		}
		e.observer.ActivityDone(act.Type, ActivityOutcomeError, e.Now().Sub(start))
		e.dropStray(ctx, p.RunID, seq, j.Attempts)
		e.failed(ctx, j, env, err)
		return nil
	}
	e.observer.ActivityDone(act.Type, ActivityOutcomeDone, e.Now().Sub(start))
	log.Info("activity done", "type", act.Type, "ms", e.Now().Sub(start).Milliseconds())
	if wake {
		e.notify()
	}
	return next
}

// open reads what running a job needs: its payload, the run's state (a
// taken job's is the previous activity's) and the activity. ok is false
// when the job was dealt with instead: failed, held while the run is
// paused, or completed for a run that ended.
func (e *Engine) open(ctx context.Context, t *taken) (p activityJob, st *runState, seq int, act *campaign.Activity, ok bool) {
	j := t.job
	if err := j.Decode(&p); err != nil {
		e.log.Error("bad activity job", "job", j.ID, "err", err)
		_, _ = e.queue.Fail(ctx, j, err, 0)
		return p, nil, 0, nil, false
	}
	st = t.st
	if st == nil {
		var err error
		if st, err = e.loadState(ctx, p.RunID); err != nil {
			e.log.Error("load run", "run", p.RunID, "activity", p.Activity, "err", err)
			_, _ = e.queue.Fail(ctx, j, err, 5*time.Second)
			return p, nil, 0, nil, false
		}
	}
	seq, act = activityByID(st.doc, p.Activity)
	if act == nil {
		_, _ = e.queue.Fail(ctx, j, fmt.Errorf("activity %s is not in the campaign", p.Activity), 0)
		return p, nil, 0, nil, false
	}
	switch st.run.Status {
	case RunPaused:
		if err := e.hold(ctx, j, p); err != nil {
			e.log.Error("hold activity", "run", p.RunID, "activity", p.Activity, "err", err)
		}
		return p, nil, 0, nil, false
	case RunStopped, RunFailed, RunCompleted:
		release := e.queue.Hold()
		_ = e.store.InTx(ctx, func(tx *store.Tx) error { return e.queue.Complete(ctx, tx, j) })
		release()
		return p, nil, 0, nil, false
	}
	return p, st, seq, act, true
}

// begin marks an activity's attempt running and logs it, in one
// transaction (one commit more per activity would show in a campaign's
// time); it returns the activity's clock (env.now), its first attempt's
// start.
func (e *Engine) begin(ctx context.Context, log *slog.Logger, p activityJob, attempt int, start time.Time) time.Time {
	var clock time.Time
	err := e.store.InTx(ctx, func(tx *store.Tx) error {
		runs := e.store.Runs().On(tx)
		var err error
		if clock, err = runs.StartActivity(ctx, p.RunID, p.Activity, ActRunning, attempt, start); err != nil {
			return err
		}
		return e.note(ctx, runs, p.RunID, p.Activity, LogInfo, LogStarted, fmt.Sprintf("started (attempt %d)", attempt), map[string]any{"attempt": attempt})
	})
	if err != nil {
		log.Warn("mark activity running", "err", err)
		clock = start
	}
	return clock
}

// heartbeat extends the job's lease while the activity runs.
func (e *Engine) heartbeat(ctx context.Context, j *jobs.Job) {
	t := time.NewTicker(e.queue.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.queue.Extend(ctx, j); err != nil && ctx.Err() == nil {
				e.log.Warn("extend lease", "job", j.ID, "err", err)
			}
		}
	}
}

// runActivity calls the activity type's executor.
func (e *Engine) runActivity(v *env) ([]output, error) {
	ins, err := e.inputs(v.ctx, v.st, v.act)
	if err != nil {
		return nil, err
	}
	v.inputs = ins
	ex, ok := executors[v.act.Type]
	if !ok {
		return nil, fmt.Errorf("activity type %q cannot run yet", v.act.Type)
	}
	return ex(v)
}

// inputs returns the resolved inputs of an activity, in transition order.
func (e *Engine) inputs(ctx context.Context, st *runState, a *campaign.Activity) ([]input, error) {
	var out []input
	for _, t := range st.doc.Transitions {
		if t.To != a.ID {
			continue
		}
		port := t.Output
		if port == "" {
			port = "out"
		}
		o, err := e.store.Runs().Output(ctx, st.run.ID, t.From, port)
		if errors.Is(err, store.ErrNotFound) {
			continue // a branch not taken
		}
		if err != nil {
			return nil, fmt.Errorf("read input %s.%s: %w", t.From, port, err)
		}
		in := input{From: t.From, Port: port, Table: o.Table, Dimension: o.Dimension, Count: o.Count}
		_ = json.Unmarshal([]byte(o.Columns), &in.Columns)
		out = append(out, in)
	}
	return out, nil
}

// describe counts each output table's rows and lists its columns.
func (e *Engine) describe(ctx context.Context, outs []output) error {
	for i := range outs {
		o := &outs[i]
		if o.Control || o.Table == "" {
			continue
		}
		var err error
		if o.Count, o.Columns, err = e.store.Runs().TableSize(ctx, o.Table); err != nil {
			return fmt.Errorf("count %s: %w", o.Port, err)
		}
	}
	return nil
}

// finish records a finished activity in one transaction with the job's
// completion and readies what comes next; it returns the next activity
// this worker took on (propagate), if any, and whether it queued others
// for any worker (an idle one is woken).
func (e *Engine) finish(ctx context.Context, j *jobs.Job, v *env, outs []output) (*taken, bool, error) {
	release := e.queue.Hold()
	defer release()
	now := e.Now().UTC()
	var (
		next *taken
		wake bool
	)
	err := e.inRun(ctx, v.st.run.ID, func(tx *store.Tx, status string) error {
		next, wake = nil, false // a retried transaction starts afresh
		if err := e.queue.Complete(ctx, tx, j); err != nil {
			return err
		}
		if status == RunStopped || status == RunFailed {
			return nil
		}
		live, err := e.recordOutputs(ctx, tx, v, outs, now)
		if err != nil {
			return err
		}
		if err := e.afterDone(ctx, tx, v); err != nil {
			return err
		}
		if err := e.saveState(ctx, tx, v); err != nil {
			return err
		}
		f := &flow{now: now}
		if status == RunRunning {
			f.take = &taken{st: v.st, start: now}
		}
		if err := e.propagate(ctx, tx, v.st, v.act, live, f); err != nil {
			return err
		}
		if f.take != nil && f.take.job != nil {
			next = f.take
		}
		wake = f.others
		if f.queued {
			// An activity queued or taken on: the run goes on.
			return nil
		}
		return e.settle(ctx, tx, v.st, now)
	})
	return next, wake, err
}

// recordOutputs records a finished activity's outputs and marks it done
// inside tx, and returns its live ports.
func (e *Engine) recordOutputs(ctx context.Context, tx *store.Tx, v *env, outs []output, now time.Time) (map[string]bool, error) {
	runs := e.store.Runs().On(tx)
	var rowsIn, rowsOut int64
	for _, in := range v.inputs {
		rowsIn += in.Count
	}
	live := map[string]bool{}
	ports := map[string]int64{}
	for _, o := range outs {
		cols, _ := json.Marshal(o.Columns)
		if !o.Control {
			rowsOut += o.Count
			ports[o.Port] = o.Count
		}
		rec := store.OutputRecord{Activity: v.act.ID, Port: o.Port, Table: o.Table, Control: o.Control, Dimension: o.Dimension, Columns: string(cols), Count: o.Count}
		if err := runs.AddOutput(ctx, v.st.run.ID, rec); err != nil {
			return nil, fmt.Errorf("record output %s: %w", o.Port, err)
		}
		live[o.Port] = true
	}
	if err := runs.FinishActivity(ctx, v.st.run.ID, v.act.ID, ActDone, rowsIn, rowsOut, now); err != nil {
		return nil, fmt.Errorf("mark %s done: %w", v.act.ID, err)
	}
	ms := now.Sub(v.started).Milliseconds()
	if err := e.note(ctx, runs, v.st.run.ID, v.act.ID, LogInfo, LogDone, doneMessage(ms, rowsIn, rowsOut, ports),
		map[string]any{"rows_in": rowsIn, "rows_out": rowsOut, "outputs": ports, "ms": ms}); err != nil {
		return nil, err
	}
	return live, nil
}

// flow is what propagate is told and tells: the time; whether it queued
// an activity (queued), for any worker (others); and, when take is set,
// the first activity due at once, taken on by this worker (take.job)
// rather than queued for any.
type flow struct {
	now            time.Time
	queued, others bool
	take           *taken
}

// propagate resolves the inputs fed by a finished (or skipped) activity:
// an activity whose inputs are all resolved is queued when at least one is
// live, and skipped — its outputs dead in turn — when none is.
func (e *Engine) propagate(ctx context.Context, tx *store.Tx, st *runState, from *campaign.Activity, live map[string]bool, f *flow) error {
	for _, t := range st.doc.Transitions {
		if t.From != from.ID {
			continue
		}
		port := t.Output
		if port == "" {
			port = "out"
		}
		runs := e.store.Runs().On(tx)
		inputs, done, liveIn, err := runs.ResolveInput(ctx, st.run.ID, t.To, live[port])
		if err != nil {
			return fmt.Errorf("resolve input of %s: %w", t.To, err)
		}
		if done < inputs {
			continue
		}
		_, next := activityByID(st.doc, t.To)
		if next == nil {
			return fmt.Errorf("transition to unknown activity %s", t.To)
		}
		if liveIn == 0 {
			if err := runs.SkipActivity(ctx, st.run.ID, next.ID, ActSkipped, f.now); err != nil {
				return err
			}
			if err := e.note(ctx, runs, st.run.ID, next.ID, LogInfo, LogSkipped, "skipped: every input is a branch not taken", nil); err != nil {
				return err
			}
			if err := e.propagate(ctx, tx, st, next, nil, f); err != nil {
				return err
			}
			continue
		}
		f.queued = true
		if f.take != nil && f.take.job == nil {
			j, err := e.takeOn(ctx, tx, st, next, f.now)
			if err != nil {
				return err
			}
			if j != nil {
				f.take.job = j
				continue
			}
		}
		if err := runs.SetActivityStatus(ctx, st.run.ID, next.ID, ActQueued); err != nil {
			return err
		}
		if err := e.enqueue(ctx, tx, st.run.ID, st.doc, next, f.now); err != nil {
			return err
		}
		f.others = true
	}
	return nil
}

// takeOn writes an activity's job leased to this worker and marks the
// activity running, as a claim and begin would, inside tx; nil when the
// activity is not due yet (a wait) or its job exists.
func (e *Engine) takeOn(ctx context.Context, tx *store.Tx, st *runState, a *campaign.Activity, now time.Time) (*jobs.Job, error) {
	payload, opts := activityJobFor(st.run.ID, st.doc, a, now)
	if opts.RunAfter.After(now) {
		return nil, nil
	}
	j, err := e.queue.Take(ctx, tx, KindActivity, payload, opts)
	if err != nil || j == nil {
		return nil, err
	}
	runs := e.store.Runs().On(tx)
	if _, err := runs.StartActivity(ctx, st.run.ID, a.ID, ActRunning, j.Attempts, now); err != nil {
		return nil, err
	}
	return j, e.note(ctx, runs, st.run.ID, a.ID, LogInfo, LogStarted, fmt.Sprintf("started (attempt %d)", j.Attempts), map[string]any{"attempt": j.Attempts})
}

// settle ends the run when nothing is left to do: completed when every
// activity finished or was skipped, waiting when a failed one blocks the
// rest (policy wait).
func (e *Engine) settle(ctx context.Context, tx *store.Tx, st *runState, now time.Time) error {
	runs := e.store.Runs().On(tx)
	counts, err := runs.ActivityCounts(ctx, st.run.ID)
	if err != nil {
		return fmt.Errorf("count activities: %w", err)
	}
	if counts[ActQueued]+counts[ActRunning]+counts[ActHeld] > 0 {
		return nil
	}
	switch {
	case counts[ActFailed] > 0:
		err = runs.MoveStatus(ctx, st.run.ID, RunRunning, RunWaiting)
	case counts[ActPending] == 0:
		if err = runs.Finish(ctx, st.run.ID, RunCompleted, now); err == nil {
			err = e.note(ctx, runs, st.run.ID, "", LogInfo, LogCompleted, "completed: every activity done or skipped", nil)
		}
	}
	return err
}

// failed handles an activity error: retried after backoff while attempts
// remain; then the branch stops, and the policy aborts the run or leaves it
// waiting for an operator.
func (e *Engine) failed(ctx context.Context, j *jobs.Job, v *env, cause error) {
	log := e.log.With("run", v.st.run.ID, "activity", v.act.ID)
	backoff := time.Duration(1<<min(j.Attempts, 6)) * time.Second
	final, err := e.queue.Fail(ctx, j, cause, backoff)
	if err != nil {
		log.Error("record activity failure", "err", err)
		return
	}
	msg := cause.Error()
	if !final {
		log.Warn("activity failed; retrying", "attempt", j.Attempts, "err", msg)
		err := e.store.InTx(ctx, func(tx *store.Tx) error {
			runs := e.store.Runs().On(tx)
			if err := runs.ActivityError(ctx, v.st.run.ID, v.act.ID, ActQueued, fmt.Sprintf("attempt %d failed: %s", j.Attempts, msg), time.Time{}); err != nil {
				return err
			}
			return e.note(ctx, runs, v.st.run.ID, v.act.ID, LogWarn, LogRetrying, fmt.Sprintf("attempt %d failed, tried again in %s: %s", j.Attempts, backoff, msg),
				map[string]any{"attempt": j.Attempts, "error": msg, "retry_in_s": int64(backoff / time.Second)})
		})
		if err != nil {
			log.Error("record the failed attempt", "err", err)
		}
		return
	}
	log.Error("activity failed", "err", msg)
	abort := v.st.doc.Policy.OnError != "wait"
	now := e.Now().UTC()
	err = e.inRun(ctx, v.st.run.ID, func(tx *store.Tx, _ string) error {
		runs := e.store.Runs().On(tx)
		if err := runs.ActivityError(ctx, v.st.run.ID, v.act.ID, ActFailed, msg, now); err != nil {
			return err
		}
		if err := e.note(ctx, runs, v.st.run.ID, v.act.ID, LogError, LogFailed, fmt.Sprintf("failed (attempts: %d): %s", j.Attempts, msg), map[string]any{"attempts": j.Attempts, "error": msg}); err != nil {
			return err
		}
		if !abort {
			return e.settle(ctx, tx, v.st, now)
		}
		if err := runs.Fail(ctx, v.st.run.ID, RunFailed, fmt.Sprintf("activity %s failed: %s", v.act.ID, msg), now); err != nil {
			return err
		}
		if err := e.note(ctx, runs, v.st.run.ID, "", LogError, LogFailed, fmt.Sprintf("failed: activity %s failed (policy on_error: abort)", v.act.ID), map[string]any{"activity": v.act.ID, "error": msg}); err != nil {
			return err
		}
		return e.stopActivities(ctx, tx, v.st.run.ID)
	})
	if err != nil {
		log.Error("record activity failure", "err", err)
	}
}

// stopActivities cancels the run's remaining work inside tx.
func (e *Engine) stopActivities(ctx context.Context, tx *store.Tx, runID int64) error {
	if _, err := e.queue.Cancel(ctx, tx, fmt.Sprintf("run/%d/", runID), "run stopped"); err != nil {
		return err
	}
	return e.store.Runs().On(tx).MoveActivities(ctx, runID, ActStopped, ActPending, ActQueued, ActHeld)
}

// hold parks the job of a paused run's activity until the run resumes.
func (e *Engine) hold(ctx context.Context, j *jobs.Job, p activityJob) error {
	release := e.queue.Hold()
	defer release()
	return e.store.InTx(ctx, func(tx *store.Tx) error {
		if err := e.queue.Release(ctx, tx, j, held); err != nil {
			return err
		}
		runs := e.store.Runs().On(tx)
		if err := e.note(ctx, runs, p.RunID, p.Activity, LogInfo, LogHeld, "held: the run is paused; it starts when the run resumes", nil); err != nil {
			return err
		}
		return runs.SetActivityStatus(ctx, p.RunID, p.Activity, ActHeld)
	})
}

// workTablePrefix names the working tables of a run, or of one of its
// activities.
func workTablePrefix(runID int64, seq int) string {
	if seq < 0 {
		return fmt.Sprintf("ff_w_%d_", runID)
	}
	return fmt.Sprintf("ff_w_%d_%d_", runID, seq)
}

// dropStray drops the working tables of a run's activity that no recorded
// output names: what an attempt that died or lost its lease left behind.
// Given an attempt (not 0), only that attempt's: a worker cleaning up after
// its own failed or overtaken attempt must not drop the tables of the
// worker that took the activity over, which is still building them.
func (e *Engine) dropStray(ctx context.Context, runID int64, seq, attempt int) {
	suffix := ""
	if attempt > 0 {
		suffix = fmt.Sprintf("_a%d", attempt)
	}
	if err := e.dropTables(ctx, runID, workTablePrefix(runID, seq), suffix, true); err != nil {
		e.log.Warn("drop stray tables", "run", runID, "err", err)
	}
}

// dropTables drops a run's working tables whose names start with prefix
// and end with suffix; onlyStray keeps those a recorded output names.
func (e *Engine) dropTables(ctx context.Context, runID int64, prefix, suffix string, onlyStray bool) error {
	names, err := e.store.Runs().WorkTables(ctx, runID, prefix, onlyStray)
	if err != nil {
		return fmt.Errorf("list working tables: %w", err)
	}
	for _, n := range names {
		if !strings.HasSuffix(n, suffix) {
			continue
		}
		if err := e.store.Runs().DropTable(ctx, n); err != nil {
			return fmt.Errorf("drop %s: %w", n, err)
		}
	}
	return nil
}

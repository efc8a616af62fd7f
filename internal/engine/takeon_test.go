package engine

import (
	"context"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// chainDoc fans out from start, joins, then waits an hour.
const chainDoc = `name: chain
dimension: customers
activities:
  start: {type: start}
  fr: {type: build_audience, query: 'country = "FR"'}
  gold: {type: build_audience, query: 'tier = "gold"'}
  both: {type: combine, mode: intersection}
  later: {type: wait, duration: 1h}
  done: {type: end}
transitions:
  - start -> fr
  - start -> gold
  - fr -> both
  - gold -> both
  - both -> later
  - later -> done
`

// A worker that finishes an activity takes on the first activity it makes
// due, in the same transaction: that activity's job is written leased to
// the worker for its first attempt and the activity marked running, and
// the worker runs it without a claim. Every other activity made due is
// queued for any worker; one that is not due yet (a wait) is never taken.
func TestWorkerTakesOnTheNextActivity(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := setup(t, s)
		if _, err := e.Save(ctx, []byte(chainDoc)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Publish(ctx, "chain"); err != nil {
			t.Fatal(err)
		}
		r, err := e.Start(ctx, "chain", RunOptions{Mode: ModeLive})
		if err != nil {
			t.Fatal(err)
		}
		// job reads an activity's job: status, attempts, lease owner.
		job := func(activity string) (status string, attempts int, owner string) {
			t.Helper()
			var o *string
			if err := storetest.DB(s).QueryRowContext(ctx, `SELECT status, attempts, lease_owner FROM ff_jobs WHERE dedupe_key = $1`, jobKey(r.ID, activity)).Scan(&status, &attempts, &o); err != nil {
				t.Fatalf("job of %s: %v", activity, err)
			}
			if o != nil {
				owner = *o
			}
			return
		}
		status := func(id string) string {
			t.Helper()
			st, err := e.Status(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			return activity(st, id).Status
		}
		claim := func(want string) *taken {
			t.Helper()
			js, err := e.queue.Claim(ctx, []string{KindActivity}, 1)
			if err != nil || len(js) != 1 {
				t.Fatalf("claim: %d jobs, %v", len(js), err)
			}
			var p activityJob
			if err := js[0].Decode(&p); err != nil || p.Activity != want {
				t.Fatalf("claimed %s (%v), want %s", p.Activity, err, want)
			}
			return &taken{job: js[0]}
		}

		next := e.run1(ctx, claim("start"))
		if next == nil || next.job == nil {
			t.Fatal("start's worker took nothing on")
		}
		if status, attempts, owner := job("fr"); status != "running" || attempts != 1 || owner != e.queue.Owner {
			t.Fatalf("fr's job: %s, attempt %d, owner %q; want running, attempt 1, owner %q", status, attempts, owner, e.queue.Owner)
		}
		if got := status("fr"); got != ActRunning {
			t.Fatalf("fr: %s, want running", got)
		}
		if status, _, _ := job("gold"); status != "ready" {
			t.Fatalf("gold's job: %s, want ready (queued for any worker)", status)
		}
		// fr leaves both one input short: nothing to take on.
		if next = e.run1(ctx, next); next != nil {
			t.Fatalf("fr's worker took on %+v", next.job)
		}
		// gold, claimed, completes both's inputs: both is taken on and
		// run without a claim.
		next = e.run1(ctx, claim("gold"))
		if next == nil {
			t.Fatal("gold's worker did not take both on")
		}
		if status, attempts, _ := job("both"); status != "running" || attempts != 1 {
			t.Fatalf("both's job: %s, attempt %d", status, attempts)
		}
		// later waits an hour: queued, not taken.
		if next = e.run1(ctx, next); next != nil {
			t.Fatalf("both's worker took on %+v", next.job)
		}
		if status, _, _ := job("later"); status != "ready" {
			t.Fatalf("later's job: %s, want ready", status)
		}
		if got := status("later"); got != ActQueued {
			t.Fatalf("later: %s, want queued", got)
		}
		st, err := e.Status(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Run.Status != RunRunning {
			t.Fatalf("run: %s", st.Run.Status)
		}
		counts := map[string]int64{}
		for _, tr := range st.Transitions {
			if tr.Count != nil {
				counts[tr.From+"->"+tr.To] = *tr.Count
			}
		}
		// FR: 1, 2, 5, 8; gold: 1, 4, 8; both: 1, 8.
		if counts["fr->both"] != 4 || counts["gold->both"] != 3 || counts["both->later"] != 2 {
			t.Fatalf("counts: %v", counts)
		}
		lines, err := e.Log(ctx, r.ID, LogQuery{})
		if err != nil {
			t.Fatal(err)
		}
		started := map[string]int{}
		for _, l := range lines {
			if l.Event == LogStarted {
				started[l.Activity]++
			}
		}
		for _, id := range []string{"start", "fr", "gold", "both"} {
			if started[id] != 1 {
				t.Fatalf("%s: %d started lines in the run's log, want 1", id, started[id])
			}
		}
	})
}

package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

var runT0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// newRun creates a campaign "c" (once) and a running run of it with two
// activities: a (queued, no input) and b (pending, one input).
func newRun(t *testing.T, s *store.Store) (campaignID, runID int64) {
	t.Helper()
	ctx := context.Background()
	id, _, err := s.Campaigns().AddVersion(ctx, "c", "draft", "name: c", runT0)
	if err != nil {
		t.Fatal(err)
	}
	runID, err = s.Runs().Create(ctx, store.NewRun{CampaignID: id, Version: 1, Mode: "simulate", Status: "running", Trigger: "manual", Params: `{"k":1}`, CreatedAt: runT0})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Runs().AddActivities(ctx, runID, []store.NewActivity{
		{ID: "a", Seq: 0, Type: "start", Status: "queued"},
		{ID: "b", Seq: 1, Type: "wait", Status: "pending", Inputs: 1},
	}); err != nil {
		t.Fatal(err)
	}
	return id, runID
}

func TestRunsNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, run := newRun(t, s)
		if _, err := s.Runs().Get(ctx, run+1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get of an unknown run = %v", err)
		}
		if _, err := s.Runs().Lock(ctx, run+1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Lock of an unknown run = %v", err)
		}
		if _, err := s.Runs().ActivityStatus(ctx, run, "zz"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ActivityStatus of an unknown activity = %v", err)
		}
		if _, err := s.Runs().Output(ctx, run, "a", "out"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Output not recorded = %v", err)
		}
		r, err := s.Runs().Get(ctx, run)
		if err != nil || r.Campaign != "c" || r.Params != `{"k":1}` || r.Occurrence != nil || r.FinishedAt != nil {
			t.Fatalf("Get = %+v, %v", r, err)
		}
	})
}

func TestRunsActivitiesAndOutputs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, run := newRun(t, s)
		runs := s.Runs()
		if clock, err := runs.StartActivity(ctx, run, "a", "running", 1, runT0); err != nil || !clock.Equal(runT0) {
			t.Fatalf("StartActivity = %v, %v", clock, err)
		}
		if err := runs.AddOutput(ctx, run, store.OutputRecord{Activity: "a", Port: "out", Control: true, Table: "ignored", Columns: "null"}); err != nil {
			t.Fatal(err)
		}
		if err := runs.AddOutput(ctx, run, store.OutputRecord{Activity: "a", Port: "rows", Table: "ff_w_1_0_rows", Dimension: "customer", Columns: `["id"]`, Count: 7}); err != nil {
			t.Fatal(err)
		}
		if o, err := runs.Output(ctx, run, "a", "out"); err != nil || !o.Control || o.Table != "" {
			t.Fatalf("control output = %+v, %v", o, err)
		}
		if o, err := runs.Output(ctx, run, "a", "rows"); err != nil || o.Control || o.Table != "ff_w_1_0_rows" || o.Count != 7 || o.Dimension != "customer" {
			t.Fatalf("output = %+v, %v", o, err)
		}
		if all, err := runs.Outputs(ctx, run); err != nil || len(all) != 2 {
			t.Fatalf("outputs = %+v, %v", all, err)
		}
		if err := runs.FinishActivity(ctx, run, "a", "done", 0, 7, runT0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		inputs, done, live, err := runs.ResolveInput(ctx, run, "b", true)
		if err != nil || inputs != 1 || done != 1 || live != 1 {
			t.Fatalf("ResolveInput = %d, %d, %d, %v", inputs, done, live, err)
		}
		if err := runs.MoveActivities(ctx, run, "stopped", "pending", "queued", "held"); err != nil {
			t.Fatal(err)
		}
		counts, err := runs.ActivityCounts(ctx, run)
		if err != nil || counts["done"] != 1 || counts["stopped"] != 1 {
			t.Fatalf("counts = %v, %v", counts, err)
		}
		acts, err := runs.Activities(ctx, run)
		if err != nil || len(acts) != 2 || acts[0].ID != "a" || acts[0].RowsOut == nil || *acts[0].RowsOut != 7 || acts[0].StartedAt == nil || acts[1].RowsIn != nil {
			t.Fatalf("activities = %+v, %v", acts, err)
		}
	})
}

// A run's activities are added a statement per 500: more than that keep
// their order, status and inputs.
func TestRunsAddManyActivities(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, run := newRun(t, s)
		var acts []store.NewActivity
		for i := range 1203 {
			acts = append(acts, store.NewActivity{ID: fmt.Sprintf("x%d", i), Seq: 2 + i, Type: "end", Status: "pending", Inputs: i % 3})
		}
		if err := s.Runs().AddActivities(ctx, run, acts); err != nil {
			t.Fatal(err)
		}
		got, err := s.Runs().Activities(ctx, run)
		if err != nil || len(got) != 2+len(acts) {
			t.Fatalf("activities: %d, %v", len(got), err)
		}
		for i, a := range acts {
			if g := got[2+i]; g.ID != a.ID || g.Status != a.Status || g.Type != a.Type {
				t.Fatalf("activity %d = %+v, want %+v", 2+i, g, a)
			}
		}
		counts, err := s.Runs().ActivityCounts(ctx, run)
		if err != nil || counts["pending"] != 1+len(acts) || counts["queued"] != 1 {
			t.Fatalf("counts = %v, %v", counts, err)
		}
		// The inputs went where they belong.
		if inputs, done, _, err := s.Runs().ResolveInput(ctx, run, "x1000", true); err != nil || inputs != 1000%3 || done != 1 {
			t.Fatalf("x1000: inputs %d, done %d, %v", inputs, done, err)
		}
	})
}

// An activity's clock is its first attempt's start: a later attempt (a
// worker taking over after a crash) gets the same, so relative dates draw
// the same line; an operator's retry (attempt 1 again) starts a new one.
func TestActivityClockIsTheFirstAttempts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, run := newRun(t, s)
		runs := s.Runs()
		for _, c := range []struct {
			attempt int
			at      time.Time
			want    time.Time
		}{
			{1, runT0, runT0},
			{2, runT0.Add(time.Minute), runT0},
			{3, runT0.Add(time.Hour), runT0},
			{1, runT0.Add(2 * time.Hour), runT0.Add(2 * time.Hour)},
			{2, runT0.Add(3 * time.Hour), runT0.Add(2 * time.Hour)},
		} {
			clock, err := runs.StartActivity(ctx, run, "a", "running", c.attempt, c.at)
			if err != nil || !clock.Equal(c.want) {
				t.Fatalf("attempt %d at %v: clock %v, %v; want %v", c.attempt, c.at, clock, err, c.want)
			}
		}
		acts, err := runs.Activities(ctx, run)
		if err != nil || acts[0].Attempts != 2 || acts[0].StartedAt == nil || !acts[0].StartedAt.Equal(runT0.Add(2*time.Hour)) {
			t.Fatalf("activities = %+v, %v", acts, err)
		}
	})
}

func TestRunsLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		campaignID, first := newRun(t, s)
		runs := s.Runs()
		occ := runT0.Add(24 * time.Hour)
		second, err := runs.Create(ctx, store.NewRun{CampaignID: campaignID, Version: 1, Mode: "live", Status: "running", Trigger: "schedule", Params: `{}`, Occurrence: occ, CreatedAt: runT0})
		if err != nil {
			t.Fatal(err)
		}
		if ids, err := runs.IDs(ctx, "c", 10); err != nil || len(ids) != 2 || ids[0] != second || ids[1] != first {
			t.Fatalf("IDs = %v, %v; want newest first", ids, err)
		}
		if ids, err := runs.IDs(ctx, "c", 1); err != nil || len(ids) != 1 || ids[0] != second {
			t.Fatalf("IDs limited to 1 = %v, %v", ids, err)
		}
		if ids, err := runs.IDs(ctx, "other", 10); err != nil || len(ids) != 0 {
			t.Fatalf("IDs of another campaign = %v, %v", ids, err)
		}
		for at, want := range map[time.Time]int{occ: 1, runT0: 0} {
			if n, err := runs.AtOccurrence(ctx, campaignID, at); err != nil || n != want {
				t.Errorf("AtOccurrence(%s) = %d, %v; want %d", at, n, err, want)
			}
		}
		status := func(id int64) store.RunRecord {
			t.Helper()
			r, err := runs.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		// MoveStatus moves only from the status it names.
		if err := runs.MoveStatus(ctx, first, "paused", "waiting"); err != nil || status(first).Status != "running" {
			t.Fatalf("MoveStatus from another status = %v, run %+v", err, status(first))
		}
		if err := runs.MoveStatus(ctx, first, "running", "waiting"); err != nil || status(first).Status != "waiting" {
			t.Fatalf("MoveStatus = %v, run %+v", err, status(first))
		}
		if err := runs.SetStatus(ctx, first, "running"); err != nil || status(first).Status != "running" {
			t.Fatalf("SetStatus = %v, run %+v", err, status(first))
		}
		if u, err := runs.Uncleaned(ctx); err != nil || len(u) != 0 {
			t.Fatalf("Uncleaned before any run finished = %+v, %v", u, err)
		}
		end := runT0.Add(time.Hour)
		if err := runs.Finish(ctx, first, "completed", end); err != nil {
			t.Fatal(err)
		}
		if err := runs.Fail(ctx, second, "failed", "activity x failed: boom", end); err != nil {
			t.Fatal(err)
		}
		if r := status(first); r.Status != "completed" || r.FinishedAt == nil || !r.FinishedAt.Equal(end) || r.Error != "" {
			t.Fatalf("finished run = %+v", r)
		}
		if r := status(second); r.Status != "failed" || r.Error != "activity x failed: boom" || r.Occurrence == nil || !r.Occurrence.Equal(occ) {
			t.Fatalf("failed run = %+v", r)
		}
		u, err := runs.Uncleaned(ctx)
		if err != nil || len(u) != 2 || !u[0].FinishedAt.Equal(end) || u[0].CampaignID != campaignID || u[0].Version != 1 {
			t.Fatalf("Uncleaned = %+v, %v", u, err)
		}
		if err := runs.MarkCleaned(ctx, first, end); err != nil {
			t.Fatal(err)
		}
		if u, err := runs.Uncleaned(ctx); err != nil || len(u) != 1 || u[0].ID != second {
			t.Fatalf("Uncleaned after one was cleaned = %+v, %v", u, err)
		}
	})
}

func TestRunsActivityErrorsSkipsAndRetries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, run := newRun(t, s)
		runs := s.Runs()
		activity := func(id string) store.ActivityRecord {
			t.Helper()
			acts, err := runs.Activities(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range acts {
				if a.ID == id {
					return a
				}
			}
			t.Fatalf("no activity %s in %+v", id, acts)
			return store.ActivityRecord{}
		}
		// A failed attempt that is retried keeps its error, not an end.
		if err := runs.ActivityError(ctx, run, "a", "queued", "attempt 1 failed: boom", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if a := activity("a"); a.Status != "queued" || a.Error != "attempt 1 failed: boom" || a.FinishedAt != nil {
			t.Fatalf("after a retried attempt = %+v", a)
		}
		end := runT0.Add(time.Minute)
		if err := runs.ActivityError(ctx, run, "a", "failed", "boom", end); err != nil {
			t.Fatal(err)
		}
		if a := activity("a"); a.Status != "failed" || a.Error != "boom" || a.FinishedAt == nil || !a.FinishedAt.Equal(end) {
			t.Fatalf("after the last attempt = %+v", a)
		}
		// An operator's retry clears the error and the end.
		if err := runs.ResetActivity(ctx, run, "a", "queued"); err != nil {
			t.Fatal(err)
		}
		if a := activity("a"); a.Status != "queued" || a.Error != "" || a.FinishedAt != nil {
			t.Fatalf("after a reset = %+v", a)
		}
		if err := runs.SetActivityStatus(ctx, run, "a", "held"); err != nil {
			t.Fatal(err)
		}
		if st, err := runs.ActivityStatus(ctx, run, "a"); err != nil || st != "held" {
			t.Fatalf("ActivityStatus = %q, %v; want held", st, err)
		}
		if err := runs.SkipActivity(ctx, run, "b", "skipped", end); err != nil {
			t.Fatal(err)
		}
		b := activity("b")
		if b.Status != "skipped" || b.RowsIn == nil || *b.RowsIn != 0 || b.RowsOut == nil || *b.RowsOut != 0 || b.FinishedAt == nil {
			t.Fatalf("skipped activity = %+v", b)
		}
	})
}

// TestRunsLockSerialisesARun: the coordinating transactions of one run
// wait for each other — on the run's row on PostgreSQL, on Hold's mutex on
// the embedded store.
func TestRunsLockSerialisesARun(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, run := newRun(t, s)
		release := s.Runs().Hold(run)
		tx, err := storetest.DB(s).BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if status, err := s.Runs().On(tx).Lock(ctx, run); err != nil || status != "running" {
			t.Fatalf("Lock = %q, %v", status, err)
		}
		second := make(chan error, 1)
		go func() {
			defer s.Runs().Hold(run)()
			second <- s.InTx(ctx, func(tx2 *store.Tx) error {
				_, err := s.Runs().On(tx2).Lock(ctx, run)
				return err
			})
		}()
		select {
		case err := <-second:
			t.Fatalf("a second transaction locked the run while the first held it (%v)", err)
		case <-time.After(300 * time.Millisecond):
		}
		if err := s.Runs().On(tx).SetStatus(ctx, run, "paused"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		release()
		select {
		case err := <-second:
			if err != nil {
				t.Fatalf("the second transaction: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the second transaction did not get the run after the first ended")
		}
	})
}

func TestRunsWorkTables(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, run := newRun(t, s)
		for _, q := range []string{
			`CREATE TABLE ff_w_9_0_keep AS SELECT 2 AS id UNION ALL SELECT 1`,
			`CREATE TABLE ff_w_9_0_stray (id INTEGER)`,
			`CREATE TABLE ff_wx9x0_other (id INTEGER)`, // "_" in the prefix is no wildcard
		} {
			if _, err := storetest.DB(s).ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Runs().AddOutput(ctx, run, store.OutputRecord{Activity: "a", Port: "out", Table: "ff_w_9_0_keep", Columns: `["id"]`, Count: 2}); err != nil {
			t.Fatal(err)
		}
		stray, err := s.Runs().WorkTables(ctx, run, "ff_w_9_0_", true)
		if err != nil || len(stray) != 1 || stray[0] != "ff_w_9_0_stray" {
			t.Fatalf("stray tables = %v, %v", stray, err)
		}
		all, err := s.Runs().WorkTables(ctx, run, "ff_w_9_", false)
		if err != nil || len(all) != 2 {
			t.Fatalf("all tables = %v, %v", all, err)
		}
		n, cols, err := s.Runs().TableSize(ctx, "ff_w_9_0_keep")
		if err != nil || n != 2 || len(cols) != 1 || cols[0] != "id" {
			t.Fatalf("TableSize = %d, %v, %v", n, cols, err)
		}
		cols, rows, err := s.Runs().TableRows(ctx, "ff_w_9_0_keep", 1)
		if err != nil || len(cols) != 1 || len(rows) != 1 {
			t.Fatalf("TableRows = %v, %v, %v", cols, rows, err)
		}
		if err := s.Runs().DropTable(ctx, "ff_w_9_0_stray"); err != nil {
			t.Fatal(err)
		}
		if stray, _ := s.Runs().WorkTables(ctx, run, "ff_w_9_0_", true); len(stray) != 0 {
			t.Fatalf("stray tables after the drop = %v", stray)
		}
	})
}

// Load fills a working table by the bulk path, on its own connection: two
// loads run at once, as load_file's rows and rejects do.
func TestRunsLoad(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, q := range []string{`CREATE TABLE ff_w_9_0_rows (line BIGINT, name VARCHAR)`, `CREATE TABLE ff_w_9_1_rejects (line BIGINT, reason VARCHAR)`} {
			if _, err := storetest.DB(s).ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		rows := func(n int, text string) store.RowFunc {
			i := 0
			return func() ([]any, error) {
				if i == n {
					return nil, nil
				}
				i++
				return []any{int64(i), fmt.Sprintf("%s %d", text, i)}, nil
			}
		}
		var wg sync.WaitGroup
		counts := make([]int64, 2)
		errs := make([]error, 2)
		for i, l := range []struct {
			table, col string
			n          int
		}{{"ff_w_9_0_rows", "name", 1000}, {"ff_w_9_1_rejects", "reason", 3}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				counts[i], errs[i] = s.Runs().Load(ctx, l.table, []string{"line", l.col}, rows(l.n, l.col))
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		for table, want := range map[string]int64{"ff_w_9_0_rows": 1000, "ff_w_9_1_rejects": 3} {
			if n, _, err := s.Runs().TableSize(ctx, table); err != nil || n != want {
				t.Errorf("%s has %d rows (%v), want %d", table, n, err, want)
			}
		}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := s.Runs().On(tx).Load(ctx, "ff_w_9_0_rows", []string{"line"}, rows(1, "x"))
			return err
		})
		if err == nil {
			t.Fatal("Load bound to a transaction ran")
		}
	})
}

// TableBreakdown counts a working table's rows by a column's values, as
// text, most frequent first (ties by value), no value apart; a column the
// table does not have is not found.
func TestTableBreakdown(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := storetest.DB(s).ExecContext(ctx, `CREATE TABLE ff_w_7_0_tiers (id INTEGER, tier VARCHAR, amount DECIMAL(10,2))`); err != nil {
			t.Fatal(err)
		}
		if _, err := storetest.DB(s).ExecContext(ctx, `INSERT INTO ff_w_7_0_tiers VALUES
			(1, 'gold', 10), (2, 'gold', 10), (3, 'gold', 12.5), (4, 'silver', 12.5), (5, 'bronze', NULL), (6, NULL, NULL), (7, NULL, NULL), (8, 'silver', 1)`); err != nil {
			t.Fatal(err)
		}
		text := func(vs []store.ValueCount) string {
			var b strings.Builder
			for _, v := range vs {
				s := "∅"
				if v.Value != nil {
					s = *v.Value
				}
				fmt.Fprintf(&b, "%s=%d ", s, v.Rows)
			}
			return strings.TrimSpace(b.String())
		}
		vs, total, err := s.Runs().TableBreakdown(ctx, "ff_w_7_0_tiers", "tier", 10)
		if err != nil || total != 8 {
			t.Fatalf("by tier: %v, %d, %v", vs, total, err)
		}
		// Ties by value: ∅ (no value) sorts last on both stores.
		if got := text(vs); got != "gold=3 silver=2 ∅=2 bronze=1" && got != "gold=3 ∅=2 silver=2 bronze=1" {
			t.Errorf("by tier: %s", got)
		}
		vs, _, err = s.Runs().TableBreakdown(ctx, "ff_w_7_0_tiers", "tier", 1)
		if err != nil || text(vs) != "gold=3" {
			t.Errorf("the top tier: %s, %v", text(vs), err)
		}
		vs, _, err = s.Runs().TableBreakdown(ctx, "ff_w_7_0_tiers", "amount", 2)
		if err != nil || len(vs) != 2 || vs[0].Rows != 3 || vs[0].Value != nil || vs[1].Rows != 2 {
			t.Errorf("by amount: %s, %v", text(vs), err)
		}
		if _, _, err := s.Runs().TableBreakdown(ctx, "ff_w_7_0_tiers", "tier; DROP TABLE x", 10); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a column the table does not have: %v", err)
		}
	})
}

package engine

import (
	"database/sql"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const incrementalDoc = `name: incremental
dimension: customers
activities:
  start: {type: start}
  fresh: {type: incremental_query, dimension: purchases, query: all, since: purchased_at}
  done: {type: end}
transitions:
  - start -> fresh
  - fresh -> done
`

// newPurchases adds one purchase past the mark of the shop data
// (2026-10-31T10:00) and one before it.
const newPurchases = `INSERT INTO purchases (purchase_id, customer_id, product_id, amount, purchased_at) VALUES
	(10, 1, 1, 80.00, '2026-11-01T09:00:00Z'), (11, 2, 1, 80.00, '2026-10-01T09:00:00Z')`

// mark reads the campaign's high-water mark of activity fresh.
func mark(t *testing.T, s *store.Store) string {
	t.Helper()
	var v string
	err := storetest.DB(s).QueryRow(`SELECT value FROM ff_campaign_state s JOIN ff_campaigns c ON c.id = s.campaign_id WHERE c.name = 'incremental' AND s.key = 'hwm:fresh'`).Scan(&v)
	if err == sql.ErrNoRows {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestActIncrementalExecutor drives the executor as the engine does, with
// the completing transaction's saveState.
func TestActIncrementalExecutor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		st := actRun(t, eng, incrementalDoc, ModeLive)
		id := st.Run.ID
		// Start from no mark, whether or not the run's completion saved one.
		actExec(t, s, `DELETE FROM ff_campaign_state`)
		attempt := 10
		step := func() []output {
			t.Helper()
			attempt++
			v := directEnv(t, eng, id, "fresh", attempt)
			outs, err := incrementalQuery(v)
			if err != nil {
				t.Fatal(err)
			}
			if err := eng.describe(v.ctx, outs); err != nil {
				t.Fatal(err)
			}
			if err := s.InTx(v.ctx, func(tx *store.Tx) error { return eng.saveState(v.ctx, tx, v) }); err != nil {
				t.Fatal(err)
			}
			return outs
		}
		outs := step()
		if len(outs) != 1 || outs[0].Count != 9 || len(outs[0].Columns) != 1 || outs[0].Columns[0] != "purchase_id" {
			t.Fatalf("first pass = %+v", outs)
		}
		if m := mark(t, s); m != "2026-10-31T10:00:00Z" {
			t.Fatalf("mark = %q", m)
		}
		actExec(t, s, newPurchases)
		outs = step()
		if len(outs) != 1 || outs[0].Count != 1 {
			t.Fatalf("second pass = %+v", outs)
		}
		if n := actCount(t, s, `SELECT count(*) FROM `+store.Quote(outs[0].Table)+` WHERE purchase_id = 10`); n != 1 {
			t.Errorf("second pass does not hold purchase 10")
		}
		if m := mark(t, s); m != "2026-11-01T09:00:00Z" {
			t.Fatalf("mark = %q", m)
		}
		if outs = step(); len(outs) != 0 {
			t.Fatalf("nothing new, yet = %+v", outs)
		}
		if m := mark(t, s); m != "2026-11-01T09:00:00Z" {
			t.Fatalf("mark after an empty pass = %q", m)
		}
	})
}

// TestActIncrementalRuns runs the campaign live twice: the second run
// returns only the new rows, the third nothing (its branch ends); a
// simulation leaves the mark alone.
func TestActIncrementalRuns(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		st := actRun(t, eng, incrementalDoc, ModeLive)
		if c := counts(st); c["fresh.out->done"] != 9 {
			t.Fatalf("counts = %v", c)
		}
		if mark(t, s) == "" {
			t.Fatal("the high-water mark was not saved with the activity")
		}
		actExec(t, s, newPurchases)
		sim := actRerun(t, eng, "incremental", ModeSimulate)
		if got := keyStr(t, eng, sim.Run.ID, "fresh", "out"); got != "10" {
			t.Errorf("simulation = %s", got)
		}
		if m := mark(t, s); m != "2026-10-31T10:00:00Z" {
			t.Fatalf("a simulation moved the mark to %q", m)
		}
		st = actRerun(t, eng, "incremental", ModeLive)
		if got := keyStr(t, eng, st.Run.ID, "fresh", "out"); got != "10" {
			t.Errorf("second run = %s, want 10", got)
		}
		st = actRerun(t, eng, "incremental", ModeLive)
		if c := counts(st); c["fresh.out->done"] != -1 {
			t.Errorf("third run counts = %v, want the branch ended", c)
		}
	})
}

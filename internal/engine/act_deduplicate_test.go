package engine

import (
	"context"
	"slices"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// dedupExtra adds customers without a country (never duplicates) and two in
// IT, one without a tier.
var dedupExtra = []string{
	`INSERT INTO customers (customer_id, email, country, tier, email_optin, created_at) VALUES
		(9, 'ida@example.com', NULL, 'gold', true, '2024-09-01T00:00:00Z'),
		(10, 'jo@example.com', NULL, 'gold', true, '2024-09-02T00:00:00Z'),
		(11, 'kim@example.com', 'IT', NULL, true, '2024-09-03T00:00:00Z'),
		(12, 'lou@example.com', 'IT', 'gold', true, '2024-09-04T00:00:00Z')`,
}

func TestActDeduplicate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		actExec(t, s, dedupExtra...)
		doc := `name: dedup
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: all}
  hi: {type: deduplicate, fields: [country], method: highest, by: created_at}
  lo: {type: deduplicate, fields: [country], keep: 2, method: lowest, by: created_at}
  rnd: {type: deduplicate, fields: [country], method: random}
  full: {type: deduplicate, fields: [country], method: non_empty, by: [tier]}
  buys: {type: build_audience, dimension: purchases, query: all}
  per_country: {type: deduplicate, fields: [customer.country], method: highest, by: amount}
  done: {type: end}
transitions:
  - start -> all
  - start -> buys
  - all -> hi
  - all -> lo
  - all -> rnd
  - all -> full
  - buys -> per_country
  - hi -> done
  - hi.duplicates -> done
  - lo -> done
  - lo.duplicates -> done
  - rnd -> done
  - rnd.duplicates -> done
  - full -> done
  - per_country -> done
`
		st := actRun(t, eng, doc, ModeSimulate)
		id := st.Run.ID
		for _, tc := range []struct {
			name, act, port, want string
		}{
			{"highest", "hi", "out", "4,7,8,9,10,12"},
			{"highest duplicates", "hi", "duplicates", "1,2,3,5,6,11"},
			{"lowest keep 2", "lo", "out", "1,2,3,4,6,7,9,10,11,12"},
			{"lowest duplicates", "lo", "duplicates", "5,8"},
			{"non_empty", "full", "out", "1,3,6,9,10,12"},
			{"through a to-one link, ties by key", "per_country", "out", "2,5,8"},
		} {
			if got := keyStr(t, eng, id, tc.act, tc.port); got != tc.want {
				t.Errorf("%s: %s.%s = %s, want %s", tc.name, tc.act, tc.port, got, tc.want)
			}
		}
		if c := counts(st); c["hi.out->done"] != 6 || c["hi.duplicates->done"] != 6 || c["rnd.out->done"] != 6 || c["rnd.duplicates->done"] != 6 {
			t.Errorf("counts = %v", c)
		}

		// Unconnected duplicates are dropped: counted in the rows out (6
		// kept, 6 duplicates), never written (full is the sixth activity,
		// duplicates its second port).
		if a := activity(st, "full"); a.RowsOut == nil || *a.RowsOut != 12 {
			t.Errorf("full rows out = %v, want 12", a.RowsOut)
		}
		if ok, err := s.TableExists(context.Background(), storetest.DB(s), workTablePrefix(id, 5)+"1_a1"); err != nil || ok {
			t.Errorf("full's unconnected duplicates were written: %v, %v", ok, err)
		}

		// A random choice is a function of key, run and activity: each run
		// draws what the hash says, so a retried activity draws the same.
		for _, run := range []int64{id, actRerun(t, eng, "dedup", ModeSimulate).Run.ID} {
			want := []int{9, 10}
			for _, group := range [][]int{{1, 2, 5, 8}, {3, 4}, {6, 7}, {11, 12}} {
				want = append(want, hashPick(group, run, "rnd", 1)...)
			}
			if got, w := keyStr(t, eng, run, "rnd", "out"), joinInts(slices.Sorted(slices.Values(want))); got != w {
				t.Errorf("run %d: random = %s, want %s", run, got, w)
			}
		}
		v := directEnv(t, eng, id, "rnd", 50)
		if _, err := deduplicate(v); err != nil {
			t.Fatal(err)
		}
		if n := actCount(t, s, `SELECT count(*) FROM `+store.Quote(v.table("out"))+` o JOIN `+store.Quote(tableOf(t, eng, id, "rnd", "out"))+` r ON o.customer_id = r.customer_id`); n != 6 {
			t.Errorf("a second attempt drew %d of the same 6 rows", n)
		}
	})
}

// tableOf returns the working table recorded for a transition.
func tableOf(t *testing.T, eng *Engine, runID int64, activity, port string) string {
	t.Helper()
	var table string
	if err := storetest.DB(eng.store).QueryRow(`SELECT table_name FROM ff_run_outputs WHERE run_id = $1 AND activity_id = $2 AND port = $3`, runID, activity, port).Scan(&table); err != nil {
		t.Fatal(err)
	}
	return table
}

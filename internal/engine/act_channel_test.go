package engine

import (
	"fmt"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const channelDoc = `name: mailing
dimension: customers
activities:
  start: {type: start}
  fr: {type: build_audience, query: 'country = "FR"'}
  mail: {type: email, from: 'Shop <shop@example.com>', subject: 'Hello', text: 'Hello {{ profile.email }}'}
  done: {type: end}
transitions:
  - start -> fr
  - fr -> mail
  - mail -> done
`

func TestActChannel(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		st := actRun(t, eng, channelDoc, ModeLive)
		id := st.Run.ID
		if c := counts(st); c["mail.out->done"] != 4 {
			t.Errorf("counts = %v", c)
		}
		outbox := func(run int64) int64 {
			return actCount(t, s, `SELECT count(*) FROM ff_outbox WHERE run_id = $1`, run)
		}
		if n := outbox(id); n != 4 {
			t.Fatalf("outbox holds %d messages, want 4", n)
		}
		if !s.Embedded() {
			// The outbox was analysed as it was written: the planner counts
			// its rows (dispatchers' cached plans are made again).
			var tuples float64
			if err := storetest.DB(s).QueryRow(`SELECT reltuples FROM pg_class WHERE oid = 'ff_outbox'::regclass`).Scan(&tuples); err != nil || tuples != 4 {
				t.Errorf("the planner counts %v rows in the outbox (%v), want 4", tuples, err)
			}
		}
		var recipient, kind, status string
		err := storetest.DB(s).QueryRow(`SELECT recipient, channel, status FROM ff_outbox WHERE message_id = $1`, fmt.Sprintf("%d:mail:8", id)).Scan(&recipient, &kind, &status)
		if err != nil || recipient != `{"customer_id":8}` || kind != "email" || status != "pending" {
			t.Errorf("message to 8 = %q %q %q, %v", recipient, kind, status, err)
		}

		// A retried attempt hands over nothing new.
		if _, err := channel(directEnv(t, eng, id, "mail", 2)); err != nil {
			t.Fatal(err)
		}
		if n := outbox(id); n != 4 {
			t.Errorf("after a retry the outbox holds %d messages, want 4", n)
		}

		// A second run's rows are numbered after the first's; on the
		// embedded store each run's in key order, and written in that order
		// (dispatchers pick rows there by ranges of seq), though this one
		// writes them two keys at a time.
		eng.OutboxSlice = 2
		second := actRerun(t, eng, "mailing", ModeLive)
		if n := actCount(t, s, `SELECT count(DISTINCT seq) FROM ff_outbox WHERE seq IS NOT NULL`); n != 8 {
			t.Errorf("%d distinct seq over two runs of 4 messages, want 8", n)
		}
		if s.Embedded() {
			rows, err := storetest.DB(s).Query(`SELECT run_id, seq, recipient FROM ff_outbox ORDER BY seq`)
			if err != nil {
				t.Fatal(err)
			}
			var order []string
			for rows.Next() {
				var run, seq int64
				var r string
				if err := rows.Scan(&run, &seq, &r); err != nil {
					t.Fatal(err)
				}
				order = append(order, fmt.Sprintf("%d %s", run, r))
			}
			rows.Close()
			want := []string{}
			for _, run := range []int64{id, second.Run.ID} {
				for _, k := range []int{1, 2, 5, 8} {
					want = append(want, fmt.Sprintf(`%d {"customer_id":%d}`, run, k))
				}
			}
			if fmt.Sprint(order) != fmt.Sprint(want) {
				t.Errorf("outbox by seq = %v, want %v", order, want)
			}
			if n := actCount(t, s, `SELECT count(*) FROM (SELECT seq - lag(seq) OVER (ORDER BY rowid) AS d FROM ff_outbox) WHERE d <= 0`); n != 0 {
				t.Errorf("%d rows written out of seq order", n)
			}
		}

		sim := actRerun(t, eng, "mailing", ModeSimulate)
		if n := outbox(sim.Run.ID); n != 0 {
			t.Errorf("a simulation wrote %d messages", n)
		}
		if c := counts(sim); c["mail.out->done"] != 4 {
			t.Errorf("simulation counts = %v", c)
		}
	})
}

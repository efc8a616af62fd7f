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
		var recipient, kind, status string
		err := s.DB.QueryRow(`SELECT recipient, channel, status FROM ff_outbox WHERE message_id = $1`, fmt.Sprintf("%d:mail:8", id)).Scan(&recipient, &kind, &status)
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

		sim := actRerun(t, eng, "mailing", ModeSimulate)
		if n := outbox(sim.Run.ID); n != 0 {
			t.Errorf("a simulation wrote %d messages", n)
		}
		if c := counts(sim); c["mail.out->done"] != 4 {
			t.Errorf("simulation counts = %v", c)
		}
	})
}

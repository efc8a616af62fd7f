package engine

import (
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestActChangeDimension(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		// A purchase without a customer, and one whose customer is missing.
		actExec(t, s, `INSERT INTO purchases (purchase_id, customer_id, product_id, amount, purchased_at) VALUES
			(10, NULL, 1, 100.00, '2026-10-10T10:00:00Z'), (11, 99, 1, 100.00, '2026-10-10T10:00:00Z')`)
		doc := `name: change
dimension: customers
activities:
  start: {type: start}
  big: {type: build_audience, dimension: purchases, query: 'amount >= 80'}
  buyers: {type: change_dimension, link: customer}
  mail: {type: email, from: 'Shop <shop@example.com>', subject: 'Hello', text: 'Hello {{ profile.email }}'}
transitions:
  - start -> big
  - big -> buyers
  - buyers -> mail
`
		st := actRun(t, eng, doc, ModeSimulate)
		if got := keyStr(t, eng, st.Run.ID, "big", "out"); got != "1,2,3,5,6,9,10,11" {
			t.Fatalf("purchases = %s", got)
		}
		if got := keyStr(t, eng, st.Run.ID, "buyers", "out"); got != "1,2,4,8" {
			t.Errorf("customers = %s, want 1,2,4,8", got)
		}
		if c := counts(st); c["buyers.out->mail"] != 4 {
			t.Errorf("counts = %v", c)
		}
	})
}

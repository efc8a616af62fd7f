package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestPreviewPrintsDecimalsAlike: a transition's decimals (an attribute, a
// sum of one) read the same on both stores, as text with every digit of
// their scale, printed or in JSON (DuckDB's decimal struct printed as
// map[Scale:2 Value:…] through the API).
func TestPreviewPrintsDecimalsAlike(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		doc := `name: decimals
dimension: customers
activities:
  start: {type: start}
  fr: {type: build_audience, query: 'country = "FR"'}
  more:
    type: enrich
    columns:
      - {name: spent, link: purchases, aggregate: sum, attribute: amount}
      - {name: last, link: purchases, first: 1, order_by: purchased_at desc, attributes: [amount]}
  done: {type: end}
transitions:
  - start -> fr
  - fr -> more
  - more -> done
`
		st := actRun(t, eng, doc, ModeSimulate)
		cols, rows, err := eng.Preview(context.Background(), st.Run.ID, "more", "out", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if fmt.Sprint(r[0]) != "1" {
				continue
			}
			row := map[string]any{}
			for i, c := range cols {
				row[c] = r[i]
			}
			got, _ := json.Marshal(row)
			if want := `{"customer_id":1,"last_1_amount":"80.00","spent":"200.00"}`; string(got) != want {
				t.Fatalf("row = %s, want %s", got, want)
			}
			return
		}
		t.Fatalf("no customer 1 in %v", rows)
	})
}

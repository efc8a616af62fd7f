package engine

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestActEnrich(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		doc := `name: enrich
dimension: customers
activities:
  start: {type: start}
  fr: {type: build_audience, query: 'country = "FR"'}
  more:
    type: enrich
    columns:
      - {name: tier2, attribute: tier}
      - {name: spent, link: purchases, aggregate: sum, attribute: amount}
      - {name: recent, link: purchases, aggregate: count, where: 'purchased_at within last 90d'}
      - {name: top, link: purchases, aggregate: max, attribute: product.price}
      - {name: last, link: purchases, first: 2, order_by: purchased_at desc, attributes: [amount, product.category]}
  done: {type: end}
transitions:
  - start -> fr
  - fr -> more
  - more -> done
`
		st := actRun(t, eng, doc, ModeSimulate)
		id := st.Run.ID
		if got := keyStr(t, eng, id, "more", "out"); got != "1,2,5,8" {
			t.Fatalf("rows = %s", got)
		}
		cols, _, err := eng.Preview(context.Background(), id, "more", "out", 1)
		if err != nil {
			t.Fatal(err)
		}
		wantCols := "customer_id,tier2,spent,recent,top,last_1_amount,last_1_product_category,last_2_amount,last_2_product_category"
		if got := strings.Join(cols, ","); got != wantCols {
			t.Fatalf("columns = %s, want %s", got, wantCols)
		}
		for key, want := range map[string]map[string]string{
			"1": {"tier2": "gold", "spent": "200", "recent": "2", "top": "120", "last_1_amount": "80", "last_1_product_category": "shoes", "last_2_amount": "120", "last_2_product_category": "shoes"},
			"2": {"tier2": "none", "spent": "80", "recent": "1", "top": "80", "last_1_amount": "80", "last_1_product_category": "shoes", "last_2_amount": "null", "last_2_product_category": "null"},
			"5": {"tier2": "none", "spent": "0", "recent": "0", "top": "null", "last_1_amount": "null", "last_1_product_category": "null", "last_2_amount": "null", "last_2_product_category": "null"},
			"8": {"tier2": "gold", "spent": "120", "recent": "0", "top": "120", "last_1_amount": "120", "last_1_product_category": "shoes", "last_2_amount": "null", "last_2_product_category": "null"},
		} {
			row := previewRow(t, eng, id, "more", "out", key)
			delete(row, "customer_id")
			if !reflect.DeepEqual(row, want) {
				t.Errorf("customer %s = %v, want %v", key, row, want)
			}
		}
	})
}

func TestActEnrichRefusesBadNames(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		doc := `name: enrich_bad
dimension: customers
policy: {retries: 1}
activities:
  start: {type: start}
  fr: {type: build_audience, query: 'country = "FR"'}
  more:
    type: enrich
    columns: [{name: tier, attribute: tier}]
  again:
    type: enrich
    columns: [{name: tier, attribute: country}]
  done: {type: end}
transitions:
  - start -> fr
  - fr -> more
  - more -> again
  - again -> done
`
		st := runToEnd(t, eng, doc, ModeSimulate)
		if st.Run.Status != RunFailed || !strings.Contains(st.Run.Error, `column "tier" is already in the population`) {
			t.Fatalf("run %s: %s", st.Run.Status, st.Run.Error)
		}
	})
}

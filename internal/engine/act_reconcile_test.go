package engine

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestReconcile matches the rows of testdata/load_customers.csv to
// customers by an integer key, a string attribute and both at once. The
// file's good rows (by line): 2 customer 1, 3 customer 2, 5 customer 99
// (none), 6 customer 1 again, 7 id 5 with customer 4's email, 8 customer 3
// without email.
func TestReconcile(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		doc := `name: reconcile
dimension: customers
activities:
  start: {type: start}
  load:
    type: load_file
    path: testdata/load_customers.csv
    format: csv
    columns: ` + loadCSVColumns + `
  by_id: {type: reconcile, match: [{column: customer_id, attribute: customer_id}]}
  by_email: {type: reconcile, match: [{column: email, attribute: email}]}
  by_both:
    type: reconcile
    dimension: customers
    match:
      - {column: customer_id, attribute: customer_id}
      - {column: email, attribute: email}
  spent: {type: enrich, columns: [{name: country, attribute: country}]}
  done: {type: end}
  lost: {type: end}
transitions:
  - start -> load
  - load -> by_id
  - load -> by_email
  - load -> by_both
  - by_id -> spent
  - spent -> done
  - by_email -> done
  - by_both -> done
  - by_id.unmatched -> lost
  - by_email.unmatched -> lost
  - by_both.unmatched -> lost
`
		st := actRun(t, eng, doc, ModeLive)
		id := st.Run.ID
		tests := []struct {
			activity      string
			out, unmatchd string
		}{
			{"by_id", "1,2,3,5", "5"},
			{"by_email", "1,2,4", "5,8"},
			{"by_both", "1,2", "5,7,8"},
		}
		c := counts(st)
		for _, tc := range tests {
			if got := keyStr(t, eng, id, tc.activity, "out"); got != tc.out {
				t.Errorf("%s out = %s, want %s", tc.activity, got, tc.out)
			}
			if got := keyStr(t, eng, id, tc.activity, "unmatched"); got != tc.unmatchd {
				t.Errorf("%s unmatched lines = %s, want %s", tc.activity, got, tc.unmatchd)
			}
			if c["load.out->"+tc.activity] != 6 {
				t.Errorf("load.out->%s = %d, want 6", tc.activity, c["load.out->"+tc.activity])
			}
			if n := c[tc.activity+".unmatched->lost"]; n != int64(len(keys(t, eng, id, tc.activity, "unmatched"))) {
				t.Errorf("%s.unmatched->lost = %d", tc.activity, n)
			}
		}
		if c["by_id.out->spent"] != 4 || c["spent.out->done"] != 4 || c["by_email.out->done"] != 3 || c["by_both.out->done"] != 2 {
			t.Errorf("counts = %v", c)
		}
		// out is a population of customers, keyed like any other; unmatched
		// keeps the file's columns.
		if row := previewRow(t, eng, id, "spent", "out", "5"); row["customer_id"] != "5" || row["country"] != "FR" || len(row) != 2 {
			t.Errorf("enriched customer 5 = %v", row)
		}
		if row := previewRow(t, eng, id, "by_both", "unmatched", "7"); row["customer_id"] != "5" || row["email"] != "dee@example.com" || row["note"] != "id and email disagree" || len(row) != 8 {
			t.Errorf("unmatched line 7 = %v", row)
		}
	})
}

// TestReconcileStringKey matches a TSV file to coupons, a dimension keyed
// by a string, and follows the matched coupons to their customers.
func TestReconcileStringKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		ctx := context.Background()
		model, err := os.ReadFile("testdata/load_model.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := schema.Apply(ctx, s, model, schema.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		m, err := datamodel.Parse(model)
		if err != nil {
			t.Fatal(err)
		}
		coupons := "code,customer_id\nSPRING-7,1\nSUMMER-1,4\nAUTUMN-2,8\n"
		if _, err := ingest.Import(ctx, s, m, "coupons", "coupons.csv", strings.NewReader(coupons), ingest.Options{Format: ingest.FormatCSV}); err != nil {
			t.Fatal(err)
		}
		doc := `name: reconcile_codes
dimension: customers
activities:
  start: {type: start}
  load: {type: load_file, path: testdata/load_codes.tsv, format: tsv, columns: {code: string, note: string}}
  codes: {type: reconcile, dimension: coupons, match: [{column: code, attribute: code}]}
  owners: {type: change_dimension, link: customer}
  done: {type: end}
  lost: {type: end}
transitions:
  - start -> load
  - load -> codes
  - codes -> owners
  - owners -> done
  - codes.unmatched -> lost
`
		st := actRun(t, eng, doc, ModeSimulate)
		id := st.Run.ID
		// Line 3 has no code (null); line 4's differs in case.
		if got := keyStr(t, eng, id, "codes", "out"); got != "SPRING-7,SUMMER-1" {
			t.Errorf("codes = %s, want SPRING-7,SUMMER-1", got)
		}
		if got := keyStr(t, eng, id, "codes", "unmatched"); got != "3,4,7" {
			t.Errorf("unmatched lines = %s, want 3,4,7", got)
		}
		if got := keyStr(t, eng, id, "owners", "out"); got != "1,4" {
			t.Errorf("owners = %s, want 1,4", got)
		}
		c := counts(st)
		if c["load.out->codes"] != 6 || c["codes.out->owners"] != 2 || c["codes.unmatched->lost"] != 3 || c["owners.out->done"] != 2 {
			t.Errorf("counts = %v", c)
		}
		cols, _, err := eng.Preview(ctx, id, "codes", "out", 1)
		if err != nil || strings.Join(cols, ",") != "code" {
			t.Errorf("codes columns = %v, %v; want the key column code", cols, err)
		}
	})
}

package ingest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestLargeFirstLoadKeepsIndexes loads enough rows into empty tables for
// the indexes to be built after the insert: they must all be back, and the
// keys still unique.
func TestLargeFirstLoadKeepsIndexes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := setup(t, s)
		indexes := func() string {
			if s.Embedded() {
				return ""
			}
			rows, err := storetest.DB(s).Query(`SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('customers', 'purchases') ORDER BY 1`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var defs []string
			for rows.Next() {
				var d string
				rows.Scan(&d)
				defs = append(defs, d)
			}
			return strings.Join(defs, "\n")
		}
		before := indexes()
		const n = 120_000
		var c, p strings.Builder
		c.WriteString("customer_id,email\n")
		p.WriteString("purchase_id,customer_id,amount\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&c, "%d,c%d@example.com\n", i, i)
			fmt.Fprintf(&p, "%d,%d,1.50\n", i, i)
		}
		for _, f := range []struct{ entity, body string }{{"customers", c.String()}, {"purchases", p.String()}} {
			sum, err := load(t, s, m, f.entity, f.entity+".csv", f.body, ingest.Options{})
			if err != nil || sum.Inserted != n {
				t.Fatalf("%s: %+v, %v", f.entity, sum, err)
			}
		}
		if after := indexes(); after != before {
			t.Fatalf("indexes after the load:\n%s\nbefore:\n%s", after, before)
		}
		if !s.Embedded() {
			if _, err := storetest.DB(s).Exec(`INSERT INTO customers (customer_id, email) VALUES (1, 'dup@example.com')`); err == nil {
				t.Fatal("the primary key is not enforced after the load")
			}
		}
		// A second load is a merge and leaves everything in place too.
		sum, err := load(t, s, m, "customers", "c.csv", "customer_id,email\n1,new@example.com\n", ingest.Options{})
		if err != nil || sum.Updated != 1 {
			t.Fatalf("update: %+v, %v", sum, err)
		}
	})
}

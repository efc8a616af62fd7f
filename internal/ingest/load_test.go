package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// setup applies the shop model to a fresh store.
func setup(t *testing.T, s *store.Store) *datamodel.Model {
	t.Helper()
	doc, err := os.ReadFile("testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := schema.Apply(context.Background(), s, doc, schema.ApplyOptions{}); err != nil {
		t.Fatalf("apply model: %v", err)
	}
	m, err := datamodel.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func load(t *testing.T, s *store.Store, m *datamodel.Model, entity, name, body string, opts ingest.Options) (*ingest.Summary, error) {
	t.Helper()
	r, format, err := ingest.OpenStream(strings.NewReader(body), name, opts.Format, opts.Limits)
	if err != nil {
		t.Fatal(err)
	}
	opts.Format = format
	if opts.MaxErrors == 0 {
		opts.MaxErrors = -1
	}
	return ingest.Import(context.Background(), s, m, entity, name, r, opts)
}

// dump returns the table's rows as sorted text lines.
func dump(t *testing.T, s *store.Store, query string) string {
	t.Helper()
	rows, err := storetest.DB(s).Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				parts[i] = "NULL"
			case []byte:
				parts[i] = string(x)
			default:
				parts[i] = fmt.Sprint(x)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

const customersCSV = "customer_id,email,tier,balance,born,created_at,vip,prefs\n" +
	"1,ann@example.com,gold,10.50,1980-02-29,2024-01-01T10:00:00+02:00,yes,\"{\"\"lang\"\": \"\"fr\"\"}\"\n" +
	"2,bob@example.com,none,-3,1999-12-31,2024-01-02 08:00:00,no,\n" +
	"3,cy@example.com,,,,,,\n"

func TestImportInsertsTypedValues(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := setup(t, s)
		sum, err := load(t, s, m, "customers", "customers.csv", customersCSV, ingest.Options{})
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		if sum.Read != 3 || sum.Inserted != 3 || sum.Updated != 0 || sum.Rejected != 0 || sum.Status != ingest.StatusCompleted {
			t.Fatalf("summary = %+v", sum)
		}
		got := dump(t, s, `SELECT customer_id, email, tier, CAST(balance AS VARCHAR), CAST(born AS VARCHAR),
			CAST(extract(epoch FROM created_at) AS BIGINT), vip, CAST(prefs AS VARCHAR) FROM customers ORDER BY customer_id`)
		want := strings.Join([]string{
			`1|ann@example.com|gold|10.50|1980-02-29|1704096000|true|{"lang":"fr"}`,
			`2|bob@example.com|none|-3.00|1999-12-31|1704182400|false|NULL`,
			`3|cy@example.com|NULL|NULL|NULL|NULL|NULL|NULL`,
		}, "\n")
		// PostgreSQL's JSONB prints a space after the colon.
		got = strings.ReplaceAll(got, `{"lang": "fr"}`, `{"lang":"fr"}`)
		if got != want {
			t.Fatalf("table =\n%s\nwant\n%s", got, want)
		}
	})
}

func TestImportUpsertsDeletesAndLastRowWins(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := setup(t, s)
		if _, err := load(t, s, m, "customers", "c.csv", customersCSV, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		delta := "customer_id,email,_change\n" +
			"1,ann@new.example,\n" + // update
			"2,,delete\n" + // delete: other values ignored
			"4,dee@example.com,upsert\n" + // insert
			"4,dee2@example.com,\n" + // same key later: wins
			"9,,delete\n" // delete of a missing key: nothing
		sum, err := load(t, s, m, "customers", "delta.csv", delta, ingest.Options{})
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		if sum.Read != 5 || sum.Inserted != 1 || sum.Updated != 1 || sum.Deleted != 1 || sum.Unchanged != 1 || sum.Superseded != 1 {
			t.Fatalf("summary = %+v", sum)
		}
		got := dump(t, s, `SELECT customer_id, email, tier FROM customers ORDER BY customer_id`)
		want := "1|ann@new.example|NULL\n3|cy@example.com|NULL\n4|dee2@example.com|NULL"
		if got != want {
			t.Fatalf("table =\n%s\nwant\n%s", got, want)
		}
	})
}

func TestImportReportsEveryBadRowAndLoadsTheGoodOnes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := setup(t, s)
		body := "customer_id,email,tier,balance,born,vip\n" +
			"1,a@example.com,gold,1.5,2000-01-01,true\n" +
			"x,b@example.com,,,,\n" + // line 3: bad key
			"3,c@example.com,platinum,1.234,2000-02-30,maybe\n" + // line 4: four bad values
			"4,,,,,\n" + // line 5: required email missing
			"5,\"multi\nline@example.com\",,,,\n" + // line 6-7: valid, spans two lines
			"6,too,many,fields,here,x,y\n" + // line 8: field count
			"7,g@example.com,,,,\n"
		sum, err := load(t, s, m, "customers", "c.csv", body, ingest.Options{})
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		if sum.Read != 7 || sum.Inserted != 3 || sum.Rejected != 4 {
			t.Fatalf("summary = %+v", sum)
		}
		var got []string
		err = ingest.Rejects(context.Background(), s, sum.ImportID, func(rj ingest.Reject) error {
			got = append(got, fmt.Sprintf("%d %s %q", rj.Line, rj.Column, rj.Value))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{`3 customer_id "x"`, `4 balance "1.234"`, `4 born "2000-02-30"`, `4 tier "platinum"`, `4 vip "maybe"`, `5 email ""`, `8  "6,too,many,fields,here,x,y"`}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("rejects =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, rj := range sum.Rejects {
			if rj.Reason == "" {
				t.Errorf("reject without a reason: %+v", rj)
			}
		}
		if got := dump(t, s, `SELECT customer_id FROM customers ORDER BY 1`); got != "1\n5\n7" {
			t.Fatalf("loaded keys = %q", got)
		}
	})
}

func TestMaxErrorsLeavesTableUnchanged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := setup(t, s)
		if _, err := load(t, s, m, "customers", "c.csv", customersCSV, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		before := dump(t, s, `SELECT * FROM customers ORDER BY customer_id`)
		body := "customer_id,email,_change\n1,changed@example.com,\n2,,delete\nbad,x@example.com,\n8,new@example.com,\nworse,y@example.com,\n"
		sum, err := load(t, s, m, "customers", "c.csv", body, ingest.Options{MaxErrors: 1})
		if !errors.Is(err, ingest.ErrTooManyErrors) {
			t.Fatalf("err = %v, want ErrTooManyErrors", err)
		}
		if sum.Status != ingest.StatusAborted || sum.Rejected != 2 {
			t.Fatalf("summary = %+v", sum)
		}
		if after := dump(t, s, `SELECT * FROM customers ORDER BY customer_id`); after != before {
			t.Fatalf("table changed by an aborted import:\n%s\nwas\n%s", after, before)
		}
		// The same file with room for its errors loads its good rows.
		sum, err = load(t, s, m, "customers", "c.csv", body, ingest.Options{MaxErrors: 2})
		if err != nil || sum.Updated != 1 || sum.Deleted != 1 || sum.Inserted != 1 {
			t.Fatalf("summary = %+v, err = %v", sum, err)
		}
	})
}

func TestOrphansAreRejectedOrKept(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := setup(t, s)
		if _, err := load(t, s, m, "customers", "c.csv", customersCSV, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		body := "purchase_id,customer_id,amount\n10,1,5.00\n11,99,6.00\n12,,7.00\n"
		sum, err := load(t, s, m, "purchases", "p.csv", body, ingest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Inserted != 2 || sum.Rejected != 1 || len(sum.Rejects) != 1 || sum.Rejects[0].Line != 3 || sum.Rejects[0].Value != "99" {
			t.Fatalf("summary = %+v", sum)
		}
		sum, err = load(t, s, m, "purchases", "p.csv", body, ingest.Options{Orphans: ingest.OrphansKeep})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Inserted != 1 || sum.Updated != 2 || sum.Rejected != 0 || sum.OrphansKept != 1 || len(sum.Rejects) != 1 {
			t.Fatalf("summary = %+v", sum)
		}
		if got := dump(t, s, `SELECT purchase_id, customer_id FROM purchases ORDER BY 1`); got != "10|1\n11|99\n12|NULL" {
			t.Fatalf("purchases = %q", got)
		}
	})
}

func TestImportNDJSONGzip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := setup(t, s)
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		fmt.Fprintln(zw, `{"customer_id": 1, "email": "a@example.com", "prefs": {"a": [1, 2]}, "vip": true, "balance": 12.25}`)
		fmt.Fprintln(zw, `{"customer_id": 2, "email": "b@example.com", "nope": 1}`)
		fmt.Fprintln(zw, `{"customer_id": 3, "email": "c@example.com"`)
		fmt.Fprintln(zw, `{"customer_id": 4, "email": "d@example.com", "born": "1970-01-01"}`)
		zw.Close()
		sum, err := load(t, s, m, "customers", "c.ndjson.gz", buf.String(), ingest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Read != 4 || sum.Inserted != 2 || sum.Rejected != 2 {
			t.Fatalf("summary = %+v", sum)
		}
		if sum.Rejects[0].Line != 2 || sum.Rejects[1].Line != 3 {
			t.Fatalf("rejects = %+v", sum.Rejects)
		}
		got := dump(t, s, `SELECT customer_id, vip, CAST(balance AS VARCHAR), CAST(born AS VARCHAR) FROM customers ORDER BY 1`)
		if got != "1|true|12.25|NULL\n4|NULL|NULL|1970-01-01" {
			t.Fatalf("table = %q", got)
		}
	})
}

func TestBadHeaderLoadsNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := setup(t, s)
		for _, tc := range []struct{ name, body, want string }{
			{"unknown column", "customer_id,emial\n1,a@example.com\n", `"emial" is not an attribute of customers`},
			{"missing key", "email\na@example.com\n", "no key column customer_id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := load(t, s, m, "customers", "c.csv", tc.body, ingest.Options{})
				var ie *ingest.InputError
				if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want an InputError containing %q", err, tc.want)
				}
				if got := dump(t, s, `SELECT count(*) FROM customers`); got != "0" {
					t.Fatalf("rows = %s", got)
				}
			})
		}
	})
}

func TestUnknownEntity(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "duckdb")
	m := setup(t, s)
	_, err := load(t, s, m, "nope", "x.csv", "a\n1\n", ingest.Options{})
	if !errors.Is(err, ingest.ErrUnknownEntity) {
		t.Fatalf("err = %v", err)
	}
}

// TestImportLeavesStatistics: PostgreSQL plans from statistics that only
// ANALYZE refreshes, autovacuum a minute later at best; an audience counted
// just after an import was planned for the table as it was (empty, for a
// first import). An import analyses the table it changed, a first load and
// a later merge alike.
func TestImportLeavesStatistics(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "postgres")
	m := setup(t, s)
	stats := func() (tuples float64, tiers int) {
		t.Helper()
		err := storetest.DB(s).QueryRow(`SELECT c.reltuples,
			(SELECT count(*) FROM pg_stats p WHERE p.schemaname = current_schema() AND p.tablename = 'customers' AND p.attname = 'tier')
			FROM pg_class c WHERE c.oid = to_regclass('customers')`).Scan(&tuples, &tiers)
		if err != nil {
			t.Fatal(err)
		}
		return tuples, tiers
	}
	if _, err := load(t, s, m, "customers", "customers.csv", customersCSV, ingest.Options{}); err != nil {
		t.Fatalf("import: %v", err)
	}
	if tuples, tiers := stats(); tuples != 3 || tiers != 1 {
		t.Fatalf("after the first import: reltuples %v, statistics of tier %d; want 3 and 1", tuples, tiers)
	}
	more := "customer_id,email\n4,dee@example.com\n5,eve@example.com\n"
	if _, err := load(t, s, m, "customers", "more.csv", more, ingest.Options{}); err != nil {
		t.Fatalf("import: %v", err)
	}
	if tuples, _ := stats(); tuples != 5 {
		t.Fatalf("after the merge: reltuples %v, want 5", tuples)
	}
}

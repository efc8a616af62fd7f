package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/demo"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// benchQuery is one question asked twice: as an audience query compiled by
// Fanfare, and as the best SQL we write by hand for it.
type benchQuery struct {
	name string
	text string
	// hand is the hand-written count; $1 is "now".
	hand string
	// handPG replaces hand on PostgreSQL when its best form differs.
	handPG string
}

// now fixes "today" to the demo generator's, so relative windows select
// the same rows on every run.
var now = demo.DefaultNow

var benchQueries = []benchQuery{
	{
		name: "attribute_filter",
		text: `country = "FR" and loyalty_tier in ("gold", "platinum")`,
		hand: `SELECT count(*) FROM customers WHERE country = 'FR' AND loyalty_tier IN ('gold', 'platinum')`,
	},
	{
		name: "two_hop_count",
		text: `count(purchases where product.category = "fashion" and purchased_at within last 90d) >= 2`,
		// The groups are joined to customers, as an audience must: purchases
		// may outlive their customer (--orphans keep, a deleted customer)
		// or have none, and those are no one to count.
		hand: `SELECT count(*) FROM customers c JOIN (SELECT p.customer_id FROM purchases p JOIN products pr ON pr.product_id = p.product_id
			WHERE pr.category = 'fashion' AND p.purchased_at >= CAST($1 AS TIMESTAMPTZ) - INTERVAL '90 days' AND p.purchased_at <= CAST($1 AS TIMESTAMPTZ)
			GROUP BY p.customer_id HAVING count(*) >= 2) x ON x.customer_id = c.customer_id`,
	},
	{
		name: "aggregate_365d",
		text: `sum(purchases.amount where purchased_at within last 365d) > 500`,
		hand: `SELECT count(*) FROM customers c JOIN (SELECT customer_id FROM purchases
			WHERE purchased_at >= CAST($1 AS TIMESTAMPTZ) - INTERVAL '365 days' AND purchased_at <= CAST($1 AS TIMESTAMPTZ)
			GROUP BY customer_id HAVING sum(amount) > 500) x ON x.customer_id = c.customer_id`,
	},
	{
		name: "saved_set_expression",
		text: `(in audience "bench_a" or in audience "bench_c") and not in audience "bench_b"`,
		hand: `SELECT count(*) FROM customers c WHERE (c.customer_id IN (SELECT customer_id FROM %[1]s) OR c.customer_id IN (SELECT customer_id FROM %[3]s))
			AND c.customer_id NOT IN (SELECT customer_id FROM %[2]s)`,
		// NOT IN over a large subquery is a nested loop on PostgreSQL once the
		// set outgrows work_mem (minutes at 1M rows); NOT EXISTS is an anti-join.
		handPG: `SELECT count(*) FROM customers c WHERE (EXISTS (SELECT 1 FROM %[1]s a WHERE a.customer_id = c.customer_id) OR EXISTS (SELECT 1 FROM %[3]s x WHERE x.customer_id = c.customer_id))
			AND NOT EXISTS (SELECT 1 FROM %[2]s b WHERE b.customer_id = c.customer_id)`,
	},
}

// savedForBench are the audiences the set expression combines.
var savedForBench = map[string]string{
	"bench_a": `exists(purchases where purchased_at within last 180d)`,
	"bench_b": `email_optin = false`,
	"bench_c": `country in ("DE", "GB") and loyalty_tier != "none"`,
}

// loadDemo fills a fresh store with the demo data at the benchmarks' scale.
func loadDemo(b *testing.B, backend string) *store.Store {
	b.Helper()
	return loadDemoScale(b, backend, customers())
}

// loadDemoScale fills a fresh store with the demo data for n customers.
func loadDemoScale(b *testing.B, backend string, n int) *store.Store {
	b.Helper()
	s := storetest.Open(b, backend)
	loadDemoInto(b, s, n)
	return s
}

// loadDemoInto applies the demo's data model to s and imports n customers'
// generated data.
func loadDemoInto(b *testing.B, s *store.Store, n int) {
	b.Helper()
	dir := demoData(b, n)
	m, err := datamodel.Parse(demo.Model())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := schema.Apply(context.Background(), s, demo.Model(), schema.ApplyOptions{}); err != nil {
		b.Fatal(err)
	}
	for _, e := range m.LoadOrder() {
		importOne(b, s, m, e.Name, filepath.Join(dir, e.Name+".csv"))
	}
	if !s.Embedded() {
		if _, err := storetest.DB(s).Exec(`ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
}

// median runs fn runs times after one warm-up and returns the median.
func median(b *testing.B, runs int, fn func() int64) (time.Duration, int64) {
	b.Helper()
	var count int64
	fn()
	var ds []time.Duration
	for range runs {
		start := time.Now()
		count = fn()
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2], count
}

// BenchmarkAudienceCount compares each compiled audience count with the
// hand-written SQL for the same question, in the same run, on each store.
func BenchmarkAudienceCount(b *testing.B) {
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			s := loadDemo(b, backend)
			ctx := context.Background()
			svc := &audience.Service{Store: s}
			tables := map[string]string{}
			for _, name := range []string{"bench_a", "bench_b", "bench_c"} {
				q := parseQuery(b, savedForBench[name])
				if _, err := svc.Save(ctx, name, "", q); err != nil {
					b.Fatal(err)
				}
				t, err := svc.MemberTable(ctx, name)
				if err != nil {
					b.Fatal(err)
				}
				tables[name] = t
			}
			b.ResetTimer()
			for range b.N {
				for _, bq := range benchQueries {
					q := parseQuery(b, bq.text)
					// End to end: load the model, validate, compile, count.
					api, got := median(b, 5, func() int64 {
						n, err := svc.Count(ctx, q)
						if err != nil {
							b.Fatalf("%s: %v", bq.name, err)
						}
						return n
					})
					// The compiled SQL alone, beside the hand-written SQL, timed
					// in alternation so a change in the machine's load hits both.
					_, c, err := svc.Prepare(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					compiledSQL, compiledArgs := c.SQL("count(*)", "")
					hand := bq.hand
					if backend == "postgres" && bq.handPG != "" {
						hand = bq.handPG
					}
					var args []any
					if strings.Contains(hand, "%[1]s") {
						hand = fmt.Sprintf(hand, store.Quote(tables["bench_a"]), store.Quote(tables["bench_b"]), store.Quote(tables["bench_c"]))
					} else if strings.Contains(hand, "$1") {
						args = append(args, now)
					}
					count := func(query string, args []any) (time.Duration, int64) {
						start := time.Now()
						var n int64
						if err := storetest.DB(s).QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
							b.Fatalf("%s: %v", bq.name, err)
						}
						return time.Since(start), n
					}
					count(compiledSQL, compiledArgs)
					count(hand, args)
					var cs, hs []time.Duration
					var want int64
					for range 7 {
						d, _ := count(compiledSQL, compiledArgs)
						cs = append(cs, d)
						d, want = count(hand, args)
						hs = append(hs, d)
					}
					compiled, handTime := medianOf(cs), medianOf(hs)
					if got != want {
						b.Errorf("%s: compiled count %d, hand-written %d", bq.name, got, want)
					}
					ratio := float64(compiled) / float64(handTime)
					b.ReportMetric(float64(api.Microseconds())/1000, bq.name+"_count_ms")
					b.ReportMetric(ratio, bq.name+"_x_hand")
					b.Logf("%s %-22s count %8d  end-to-end %8.1f ms  compiled SQL %8.1f ms  hand-written %8.1f ms  ratio %.2f", backend, bq.name, got,
						ms(api), ms(compiled), ms(handTime), ratio)
				}
			}
		})
	}
}

func parseQuery(b *testing.B, text string) *audience.Query {
	b.Helper()
	n, err := audience.ParseText(text)
	if err != nil {
		b.Fatalf("parse %q: %v", text, err)
	}
	return &audience.Query{Dimension: "customers", Where: n, Now: now}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func medianOf(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

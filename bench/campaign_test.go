package bench

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// benchCampaign is the 10-activity campaign: build, exclude,
// enrich with aggregates, deduplicate, a three-way split, save audience and
// two channel activities.
const benchCampaign = `name: bench
dimension: customers
activities:
  start: {type: start}
  buyers: {type: build_audience, query: 'exists(purchases where purchased_at within last 365d)'}
  optouts: {type: build_audience, query: 'email_optin = false'}
  targets: {type: combine, mode: exclusion, primary: buyers}
  spend:
    type: enrich
    columns:
      - {name: spent_365d, link: purchases, aggregate: sum, attribute: amount, where: 'purchased_at within last 365d'}
      - {name: orders_365d, link: purchases, aggregate: count, where: 'purchased_at within last 365d'}
  dedup: {type: deduplicate, fields: [last_name, city], method: lowest, by: created_at}
  groups:
    type: split
    subsets:
      - {name: control, limit: 10%, order: random}
      - {name: vip, where: 'loyalty_tier in ("gold", "platinum")'}
    remainder: true
  keep: {type: save_audience, audience: bench-control}
  mail_vip: {type: email, from: 'Shop <shop@example.com>', subject: 'Hello', text: 'Hello {{ profile.email }}'}
  mail_rest: {type: email, from: 'Shop <shop@example.com>', subject: 'Hello', text: 'Hello {{ profile.email }}'}
  done: {type: end}
transitions:
  - start -> buyers
  - start -> optouts
  - buyers -> targets
  - optouts -> targets
  - targets -> spend
  - spend -> dedup
  - dedup -> groups
  - groups.control -> keep
  - groups.vip -> mail_vip
  - groups.remainder -> mail_rest
  - keep -> done
`

// handCampaign is the same work as hand-written SQL, one statement per
// step, as an engineer would write it for this one campaign. $1 is now.
var handCampaign = []struct{ name, sql string }{
	{"buyers", `CREATE TABLE h_buyers AS SELECT c.customer_id FROM customers c WHERE EXISTS (SELECT 1 FROM purchases p
		WHERE p.customer_id = c.customer_id AND p.purchased_at >= CAST($1 AS TIMESTAMPTZ) - INTERVAL '365 days' AND p.purchased_at <= CAST($1 AS TIMESTAMPTZ))`},
	{"optouts", `CREATE TABLE h_optouts AS SELECT customer_id FROM customers WHERE email_optin = false`},
	{"targets", `CREATE TABLE h_targets AS SELECT b.customer_id FROM h_buyers b WHERE NOT EXISTS (SELECT 1 FROM h_optouts o WHERE o.customer_id = b.customer_id)`},
	{"spend", `CREATE TABLE h_spend AS SELECT t.customer_id, coalesce(g.s, 0) AS spent_365d, coalesce(g.n, 0) AS orders_365d FROM h_targets t
		LEFT JOIN (SELECT customer_id, sum(amount) AS s, count(*) AS n FROM purchases
		WHERE purchased_at >= CAST($1 AS TIMESTAMPTZ) - INTERVAL '365 days' AND purchased_at <= CAST($1 AS TIMESTAMPTZ) GROUP BY customer_id) g ON g.customer_id = t.customer_id`},
	{"dedup", `CREATE TABLE h_dedup AS SELECT customer_id, spent_365d, orders_365d FROM (SELECT s.*, row_number() OVER (PARTITION BY c.last_name, c.city ORDER BY c.created_at, s.customer_id) AS rn
		FROM h_spend s JOIN customers c ON c.customer_id = s.customer_id) x WHERE rn = 1`},
	{"split_control", `CREATE TABLE h_control AS SELECT * FROM h_dedup ORDER BY md5(CAST(customer_id AS VARCHAR)) LIMIT (SELECT round(count(*) * 0.1) FROM h_dedup)`},
	{"split_vip", `CREATE TABLE h_vip AS SELECT d.* FROM h_dedup d JOIN customers c ON c.customer_id = d.customer_id
		WHERE c.loyalty_tier IN ('gold', 'platinum') AND NOT EXISTS (SELECT 1 FROM h_control x WHERE x.customer_id = d.customer_id)`},
	{"split_rest", `CREATE TABLE h_rest AS SELECT d.* FROM h_dedup d WHERE NOT EXISTS (SELECT 1 FROM h_control x WHERE x.customer_id = d.customer_id)
		AND NOT EXISTS (SELECT 1 FROM h_vip v WHERE v.customer_id = d.customer_id)`},
	{"keep", `CREATE TABLE h_saved AS SELECT customer_id FROM h_control`},
	{"mail", `CREATE TABLE h_outbox AS SELECT 'r:vip:' || CAST(customer_id AS VARCHAR) AS message_id FROM h_vip
		UNION ALL SELECT 'r:rest:' || CAST(customer_id AS VARCHAR) FROM h_rest`},
}

// BenchmarkCampaign runs the 10-activity campaign live over the demo on
// each store and reports total and per-activity times beside the
// hand-written SQL for the same steps.
func BenchmarkCampaign(b *testing.B) {
	for _, backend := range []string{"duckdb", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			s := loadDemo(b, backend)
			ctx := context.Background()
			// The clock starts at the demo's "today" and runs in real time,
			// so relative windows match the hand-written SQL and activities
			// are timed.
			t0 := time.Now()
			// The engine's default Poll: work enqueued in the process wakes
			// an idle worker at once, so a shorter one only adds the idle
			// worker's claims (an UPDATE of ff_jobs each) to the run.
			eng := engine.New(engine.Config{Store: s, Workers: 2, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now.Add(time.Since(t0)) }})
			if _, err := eng.Save(ctx, []byte(benchCampaign)); err != nil {
				b.Fatal(err)
			}
			if _, err := eng.Publish(ctx, "bench"); err != nil {
				b.Fatal(err)
			}
			wctx, cancel := context.WithCancel(ctx)
			defer cancel()
			go eng.Run(wctx)
			// A warm-up run of each, so that the first measurement does not
			// pay for cold caches (DuckDB's buffers, PostgreSQL's pages and
			// plans) that the hand-written SQL, timed after it, would not.
			logCounts(b, backend+" warm-up", runCampaign(b, eng))
			runHand(b, s)
			b.ResetTimer()
			// Each figure is the median of the b.N runs: one run's DuckDB
			// checkpoint (about 100 ms, when the write-ahead log passes its
			// threshold) or a neighbour's load would otherwise decide it.
			var totals, hands []time.Duration
			var ratios, cpuRatios []float64
			for range b.N {
				cpu := cpuSeconds()
				st := runCampaign(b, eng)
				total := st.Run.FinishedAt.Sub(st.Run.CreatedAt)
				cpu = cpuSeconds() - cpu
				var parts []string
				for _, a := range st.Activities {
					if a.Millis != nil {
						parts = append(parts, fmt.Sprintf("%s %dms", a.ID, *a.Millis))
					}
				}
				b.StopTimer()
				handCPU := cpuSeconds()
				handTotal, handParts := runHand(b, s)
				handCPU = cpuSeconds() - handCPU
				b.StartTimer()
				totals, hands = append(totals, total), append(hands, handTotal)
				ratios = append(ratios, float64(total)/float64(handTotal))
				// On a shared machine the wall times swing with the
				// neighbours' load; the process's CPU seconds (DuckDB's
				// threads included; on PostgreSQL the server's work is not
				// in them) swing less.
				cpuRatios = append(cpuRatios, cpu/handCPU)
				b.Logf("%s campaign %.0f ms, %.2f CPU s (%s)", backend, ms(total), cpu, strings.Join(parts, ", "))
				b.Logf("%s hand-written SQL %.0f ms, %.2f CPU s (%s)", backend, ms(handTotal), handCPU, strings.Join(handParts, ", "))
				logCounts(b, backend, st)
			}
			b.ReportMetric(ms(medianOf(totals)), "campaign_ms")
			b.ReportMetric(ms(medianOf(hands)), "hand_sql_ms")
			b.ReportMetric(medianFloat(ratios), "x_hand")
			b.ReportMetric(medianFloat(cpuRatios), "x_hand_cpu")
			// What the engine adds to each activity, whatever the audience's
			// size: its bookkeeping (claim or take-on, the finish
			// transaction, counts) and what the hand-written SQL leaves out
			// (the outbox rows' addresses and checks). The ratio above falls
			// as the audience grows; this does not.
			b.ReportMetric(ms(medianOf(totals)-medianOf(hands))/float64(benchActivities(b)), "overhead_ms_per_activity")
		})
	}
}

// runCampaign runs the campaign live to its end and returns its status.
// The run's time is what its record says (created to finished, on the
// engine's clock, real time here), so the wait for its end needs no fine
// polling: it reads the run's row every 100 ms (a join, 2 ms of CPU on
// DuckDB; every 20 ms, that was a tenth of the run's CPU) and the full
// status (the document, every activity and output) once at the end.
// Reading the full status every 5 ms, as it did, put four queries and a
// document parse per poll beside the run, load that neither `fanfare
// serve` nor the hand-written SQL has.
func runCampaign(b *testing.B, eng *engine.Engine) *engine.RunStatus {
	b.Helper()
	ctx := context.Background()
	r, err := eng.Start(ctx, "bench", engine.RunOptions{Mode: engine.ModeLive})
	if err != nil {
		b.Fatal(err)
	}
	for {
		run, err := eng.Run1(ctx, r.ID)
		if err != nil {
			b.Fatal(err)
		}
		if run.Status == engine.RunRunning {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if run.Status != engine.RunCompleted {
			b.Fatalf("run %s: %s", run.Status, run.Error)
		}
		st, err := eng.Status(ctx, r.ID)
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
}

// logCounts logs the count of every transition of a run, on one line (a
// benchmark's log is cut after a few lines). A run's random draws (split's
// control) depend on its id, so the warm-up's counts are the ones to
// compare with a run on a fresh store.
func logCounts(b *testing.B, prefix string, st *engine.RunStatus) {
	b.Helper()
	var parts []string
	for _, tr := range st.Transitions {
		if tr.Count != nil {
			parts = append(parts, fmt.Sprintf("%s.%s -> %s: %d", tr.From, tr.Output, tr.To, *tr.Count))
		}
	}
	b.Logf("%s counts: %s", prefix, strings.Join(parts, ", "))
}

// runHand runs the hand-written steps and times them.
func runHand(b *testing.B, s *store.Store) (time.Duration, []string) {
	b.Helper()
	for _, t := range []string{"h_buyers", "h_optouts", "h_targets", "h_spend", "h_dedup", "h_control", "h_vip", "h_rest", "h_saved", "h_outbox"} {
		if _, err := storetest.DB(s).Exec("DROP TABLE IF EXISTS " + t); err != nil {
			b.Fatal(err)
		}
	}
	var total time.Duration
	var parts []string
	for _, step := range handCampaign {
		var args []any
		if strings.Contains(step.sql, "$1") {
			args = append(args, now)
		}
		start := time.Now()
		if _, err := storetest.DB(s).Exec(step.sql, args...); err != nil {
			b.Fatalf("hand-written %s: %v", step.name, err)
		}
		d := time.Since(start)
		total += d
		parts = append(parts, fmt.Sprintf("%s %dms", step.name, d.Milliseconds()))
	}
	return total, parts
}

// medianFloat is the median of xs (the upper one of an even count).
func medianFloat(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchActivities is how many activities the benchmark campaign has.
func benchActivities(b *testing.B) int {
	b.Helper()
	d, err := campaign.Parse([]byte(benchCampaign))
	if err != nil {
		b.Fatal(err)
	}
	return len(d.Activities)
}

package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// reportCampaign is an A/B test: two email activities fed by a split, so
// that the report compares them.
const reportCampaign = `name: report
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'email is not null'}
  groups:
    type: split
    subsets:
      - {name: a, where: 'customer_id <= 500'}
      - {name: b, where: 'customer_id > 500'}
  mail_a: {type: email, from: 'Shop <shop@example.com>', subject: 'A', html: '<a href="https://shop.example/a">A</a>'}
  mail_b: {type: email, from: 'Shop <shop@example.com>', subject: 'B', html: '<a href="https://shop.example/b">B</a>'}
transitions:
  - start -> all
  - all -> groups
  - groups.a -> mail_a
  - groups.b -> mail_b
`

// reportMessages is the report benchmark's scale: FANFARE_BENCH_MESSAGES
// sent emails (default 1 000 000), with three events each on average.
func reportMessages() int { return envInt("FANFARE_BENCH_MESSAGES", 1_000_000) }

// BenchmarkReport times a run's report on each store over
// FANFARE_BENCH_MESSAGES sent emails and three times as many events: the
// run is a real one (an A/B split of two email activities over a few
// demo customers), whose outbox is then replaced, in set-based SQL, by
// that many sent messages to a spread of domains, and given opens
// (a quarter of them Apple's proxies), clicks on three links (a sixth of
// them scanners'), deliveries, bounces, complaints and unsubscribes over
// 14 days, most in the first hours. It reports the median of 3 reports
// (by day and by hour) and of each of its queries.
func BenchmarkReport(b *testing.B) {
	n := reportMessages()
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			s := loadDemoScale(b, backend, 1000)
			run := startSend(b, s, reportCampaign, "report").run
			start := time.Now()
			fillReport(b, s, run, n)
			b.Logf("%d sent messages and their events written in %s", n, time.Since(start).Round(time.Millisecond))
			ctx := context.Background()
			// Folding the events into the tallies is work the recording
			// of events does (a server folds every second), timed apart.
			start = time.Now()
			folded, err := s.Events().Roll(ctx, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			fold := time.Since(start)
			b.ReportMetric(ms(fold), "fold_ms")
			b.Logf("%d events folded into the tallies in %s (%.1f µs an event)", folded, fold.Round(time.Millisecond), float64(fold.Microseconds())/float64(max(folded, 1)))
			b.ResetTimer()
			parts := []struct {
				name string
				fn   func() (int, error)
			}{
				{"report_day", func() (int, error) {
					r, err := delivery.RunReport(ctx, s, run, delivery.ReportOptions{By: "day"})
					return reportSize(r), err
				}},
				{"report_hour", func() (int, error) {
					r, err := delivery.RunReport(ctx, s, run, delivery.ReportOptions{By: "hour"})
					return reportSize(r), err
				}},
				{"figures", func() (int, error) { f, err := delivery.RunFigures(ctx, s, run); return len(f), err }},
				{"tally", func() (int, error) { c, err := s.Outbox().Tally(ctx, run); return len(c), err }},
				{"counts", func() (int, error) { c, err := s.Events().Counts(ctx, run); return len(c), err }},
				{"links", func() (int, error) { c, err := s.Events().Links(ctx, run); return len(c), err }},
				{"series_day", func() (int, error) { c, err := s.Events().Series(ctx, run, "day"); return len(c), err }},
				{"series_hour", func() (int, error) { c, err := s.Events().Series(ctx, run, "hour"); return len(c), err }},
				{"domains", func() (int, error) { c, err := s.Events().Domains(ctx, run); return len(c), err }},
			}
			for _, p := range parts {
				d, rows := median(b, 3, func() int64 {
					rows, err := p.fn()
					if err != nil {
						b.Fatalf("%s: %v", p.name, err)
					}
					return int64(rows)
				})
				b.ReportMetric(ms(d), p.name+"_ms")
				b.Logf("%s: %.0f ms (median of 3; %d rows)", p.name, ms(d), rows)
			}
			checkReport(b, s, run, n)
			foldSecond(b, s, run)
		})
	}
}

// foldSecond times the fold a server makes every second under a flood of
// clicks, as BenchmarkTrackingServe's: 50 000 people's clicks, appended
// as one second's batch, on the two links of 2 000 messages, each link
// clicked a dozen times; 4 seconds, the median of the last 3 reported
// (the first finds most links not yet clicked).
func foldSecond(b *testing.B, s *store.Store, run int64) {
	b.Helper()
	const clicks = 50_000
	q := fmt.Sprintf(`INSERT INTO ff_events (created_at, type, run_id, activity, message_id, link, url, label, machine)
		SELECT to_timestamp(%[1]d), 'click', %[2]d, CASE WHEN k %% 2 = 0 THEN 'mail_a' ELSE 'mail_b' END,
			'%[2]d:' || CASE WHEN k %% 2 = 0 THEN 'mail_a' ELSE 'mail_b' END || ':{"customer_id":' || CAST(k AS TEXT) || '}',
			j %% 2 + 1, 'https://shop.example/p' || CAST(j %% 2 + 1 AS TEXT), CASE WHEN j %% 2 = 0 THEN 'winter' END, NULL
		FROM (SELECT j, (j / 2) %% 2000 + 1 AS k FROM generate_series(CAST(1 AS BIGINT), CAST(%[3]d AS BIGINT)) AS g(j)) x`, reportEpoch+3600, run, clicks)
	var ds []time.Duration
	for i := range 4 {
		if _, err := storetest.DB(s).Exec(q); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		folded, err := s.Events().Roll(context.Background(), time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if folded != clicks {
			b.Fatalf("second %d: %d events folded, want %d", i, folded, clicks)
		}
		if i > 0 {
			ds = append(ds, time.Since(start))
		}
	}
	d := medianOf(ds)
	b.ReportMetric(ms(d), "fold_second_ms")
	b.Logf("a second of %d clicks on 4 000 links already clicked folded in %s (median of 3; %.1f µs a click)", clicks, d.Round(time.Millisecond), float64(d.Microseconds())/clicks)
}

// reportSize counts the rows of a report.
func reportSize(r *delivery.Report) int {
	if r == nil {
		return 0
	}
	return len(r.Activities) + len(r.Series) + len(r.Domains) + len(r.Comparisons)
}

// checkReport checks that the report counts the messages written.
func checkReport(b *testing.B, s *store.Store, run int64, n int) {
	r, err := delivery.RunReport(context.Background(), s, run, delivery.ReportOptions{By: "day"})
	if err != nil {
		b.Fatal(err)
	}
	var sent int64
	for _, f := range r.Activities {
		sent += f.Sent
		if e := f.Engagement; e == nil || e.Opened == 0 || e.Clicked == 0 || len(e.Links) == 0 {
			b.Errorf("%s: engagement %+v", f.Activity, e)
		}
	}
	if sent != int64(n) || len(r.Comparisons) != 2 || len(r.Domains) == 0 || len(r.Series) == 0 {
		b.Errorf("report: %d sent of %d, %d comparisons, %d domains, %d points", sent, n, len(r.Comparisons), len(r.Domains), len(r.Series))
	}
}

// eventSpec is one kind of generated event: how many per thousand
// messages, the message of the j-th (an SQL expression of j, {n} the
// number of messages, {n45}, {n12} and {n2} 45 %, 12 % and 2 % of it), and
// its link, URL, label and machine (SQL expressions, NULL for none).
type eventSpec struct {
	typ                       string
	perMille                  int
	message                   string
	link, url, label, machine string
}

// reportEvents are 3 000 events per 1 000 messages: opens on 45 % of the
// messages, clicks on 12 %, deliveries, bounces at the end of the outbox,
// complaints and unsubscribes among the opened.
var reportEvents = []eventSpec{
	{"open", 1550, "(j * 7919) % {n45} + 1", "NULL", "NULL", "NULL", "CASE WHEN j % 4 = 0 THEN 'apple_mpp' END"},
	{"click", 800, "(j * 104729) % {n12} + 1", "j % 3 + 1", "'https://shop.example/p' || CAST(j % 3 + 1 AS TEXT)",
		"CASE j % 3 WHEN 0 THEN 'winter' WHEN 1 THEN 'shoes' END", "CASE WHEN j % 6 = 0 THEN 'scanner' END"},
	{"delivered", 600, "j", "NULL", "NULL", "NULL", "NULL"},
	{"bounce_hard", 20, "{n} - j + 1", "NULL", "NULL", "NULL", "NULL"},
	{"bounce_soft", 20, "{n} - {n2} - j + 1", "NULL", "NULL", "NULL", "NULL"},
	{"complaint", 3, "(j * 31) % {n45} + 1", "NULL", "NULL", "NULL", "NULL"},
	{"unsubscribe", 7, "(j * 37) % {n45} + 1", "NULL", "NULL", "NULL", "NULL"},
}

// reportEpoch is when the generated messages were sent (Unix seconds,
// 2026-12-07 08:00 UTC); their events follow over 14 days.
const reportEpoch = 1796630400

// fillReport replaces the run's outbox by n sent emails, message i of
// mail_a when i is even, else of mail_b, to a domain by i % 10 (gmail.com
// 40 %, outlook.com 20 %, yahoo.com, icloud.com, orange.fr, and 200
// others), and adds reportEvents.
func fillReport(b *testing.B, s *store.Store, run int64, n int) {
	b.Helper()
	db := storetest.DB(s)
	msg := func(i string) string {
		return fmt.Sprintf(`'%d:' || CASE WHEN %[2]s %% 2 = 0 THEN 'mail_a' ELSE 'mail_b' END || ':{"customer_id":' || CAST(%[2]s AS TEXT) || '}'`, run, i)
	}
	stmts := []string{
		fmt.Sprintf(`DELETE FROM ff_outbox WHERE run_id = %d`, run),
		fmt.Sprintf(`INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, dimension, recipient, address, status, attempts, provider, provider_id, sent_at, created_at, updated_at, seq)
			SELECT %[1]s, %[2]d, CASE WHEN i %% 2 = 0 THEN 'mail_a' ELSE 'mail_b' END, 'email', 'customers', '{"customer_id":' || CAST(i AS TEXT) || '}',
				'c' || CAST(i AS TEXT) || '@' || CASE WHEN i %% 10 < 4 THEN 'gmail.com' WHEN i %% 10 < 6 THEN 'outlook.com' WHEN i %% 10 = 6 THEN 'yahoo.com'
					WHEN i %% 10 = 7 THEN 'icloud.com' WHEN i %% 10 = 8 THEN 'orange.fr' ELSE 'mail' || CAST(i %% 2000 AS TEXT) || '.example' END,
				'sent', 1, 'smtp', 'p' || CAST(i AS TEXT), to_timestamp(%[3]d), to_timestamp(%[3]d), to_timestamp(%[3]d), m.seq + i
			FROM generate_series(CAST(1 AS BIGINT), CAST(%[4]d AS BIGINT)) AS g(i), (SELECT coalesce(max(seq), 0) AS seq FROM ff_outbox) m`, msg("i"), run, reportEpoch, n),
	}
	for _, e := range reportEvents {
		count := n * e.perMille / 1000
		message := strings.NewReplacer("{n}", fmt.Sprint(n), "{n45}", fmt.Sprint(n*45/100), "{n12}", fmt.Sprint(n*12/100), "{n2}", fmt.Sprint(n*2/100)).Replace(e.message)
		// Minutes after the send: (j mod 997)² scaled to 14 days, most
		// events early.
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO ff_events (created_at, type, run_id, activity, message_id, link, url, label, machine)
			SELECT to_timestamp(%[1]d + 60 * CAST((j %% 997) * (j %% 997) * 20160 / 994009 AS INTEGER)), '%[2]s', %[3]d,
				CASE WHEN k %% 2 = 0 THEN 'mail_a' ELSE 'mail_b' END, %[4]s, %[5]s, %[6]s, %[7]s, %[8]s
			FROM (SELECT j, %[9]s AS k FROM generate_series(CAST(1 AS BIGINT), CAST(%[10]d AS BIGINT)) AS g(j)) x`,
			reportEpoch, e.typ, run, msg("k"), e.link, e.url, e.label, e.machine, message, count))
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
	}
	if !s.Embedded() {
		for _, t := range []string{"ff_outbox", "ff_events"} {
			if _, err := db.Exec(`ANALYZE ` + t); err != nil {
				b.Fatal(err)
			}
		}
	} else if _, err := db.Exec(`CHECKPOINT`); err != nil {
		b.Fatal(err)
	}
}

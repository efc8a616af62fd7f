package service_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestCampaignReport: a campaign's report sums its live runs' figures —
// by run, by channel activity and by channel — leaving out a simulation
// and the runs outside the span; a message's repeated events count once
// in its unique figures. The figures are checked against ff_events and
// ff_outbox counted here independently. A malformed or empty span and an
// unknown campaign are refused across the wire.
func TestCampaignReport(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		db := storetest.DB(im.store)
		day := func(d int) time.Time { return time.Date(2026, 12, d, 9, 0, 0, 0, time.UTC) }
		var live []int64
		for i := range 3 {
			id := startRun(t, im)
			live = append(live, id)
			if _, err := db.Exec(`UPDATE ff_runs SET created_at = $1 WHERE id = $2`, day(1+i), id); err != nil {
				t.Fatal(err)
			}
		}
		sim := got(svc.RunStart(ctx, "hello", engine.RunOptions{Mode: engine.ModeSimulate})).must(t).ID
		// Every run, the simulation too, has messages: 2 emails, 2 SMS
		// and 1 push each; their events follow.
		type msg struct{ id, ch, status string }
		events := []struct {
			msg, typ string
		}{}
		for _, run := range append([]int64{sim}, live...) {
			var msgs []msg
			for i := range 2 {
				msgs = append(msgs, msg{fmt.Sprintf("%d:mail:%d", run, i), "email", "sent"}, msg{fmt.Sprintf("%d:text:%d", run, i), "sms", "sent"})
			}
			msgs = append(msgs, msg{fmt.Sprintf("%d:app:0", run), "push", "failed"})
			for i, m := range msgs {
				act := map[string]string{"email": "mail", "sms": "text", "push": "app"}[m.ch]
				if _, err := db.Exec(`INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, dimension, recipient, address, status, attempts, created_at, updated_at, seq)
					VALUES ($1, $2, $3, $4, 'customers', '{}', 'x', $5, 1, now(), now(), $6)`, m.id, run, act, m.ch, m.status, run*100+int64(i)); err != nil {
					t.Fatal(err)
				}
			}
			events = append(events,
				struct{ msg, typ string }{fmt.Sprintf("%d:mail:0", run), "open"},
				struct{ msg, typ string }{fmt.Sprintf("%d:mail:0", run), "open"}, // a reloaded pixel
				struct{ msg, typ string }{fmt.Sprintf("%d:mail:1", run), "bounce_hard"},
				struct{ msg, typ string }{fmt.Sprintf("%d:text:0", run), "delivered"},
				struct{ msg, typ string }{fmt.Sprintf("%d:text:0", run), "delivered"}, // a retried receipt
				struct{ msg, typ string }{fmt.Sprintf("%d:text:1", run), "failed"},
				struct{ msg, typ string }{fmt.Sprintf("%d:app:0", run), "bounce_hard"})
		}
		var recs []store.EventRecord
		for _, e := range events {
			var run int64
			var act string
			if err := db.QueryRow(`SELECT run_id, activity_id FROM ff_outbox WHERE message_id = $1`, e.msg).Scan(&run, &act); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, store.EventRecord{At: day(5), Type: e.typ, RunID: run, Activity: act, MessageID: e.msg})
		}
		if err := im.store.Events().Append(ctx, recs); err != nil {
			t.Fatal(err)
		}

		// Counted here: the live runs' messages with each event, by
		// channel, over a span of runs.
		count := func(ch, typ string, runs []int64) int64 {
			var n int64
			for _, run := range runs {
				var k int64
				if err := db.QueryRow(`SELECT count(DISTINCT e.message_id) FROM ff_events e JOIN ff_outbox o ON o.message_id = e.message_id
					WHERE o.channel = $1 AND e.type = $2 AND e.run_id = $3`, ch, typ, run).Scan(&k); err != nil {
					t.Fatal(err)
				}
				n += k
			}
			return n
		}
		r := got(svc.CampaignReport(ctx, "hello", service.CampaignReportRequest{})).must(t)
		if len(r.Runs) != 3 || r.Runs[0].Run != live[0] || !r.Runs[0].StartedAt.Equal(day(1)) || r.Runs[0].Status == "" {
			t.Fatalf("runs: %+v", r.Runs)
		}
		if r.Totals.Sent != 12 || r.Totals.Failed != 3 || r.Totals.Targeted != 15 || r.Totals.Opened != count("email", "open", live) ||
			r.Totals.OpenedTotal != 6 || r.Totals.BouncedHard != count("email", "bounce_hard", live)+count("push", "bounce_hard", live) {
			t.Errorf("totals: %+v", r.Totals)
		}
		byCh := map[string]int{}
		for i, c := range r.Channels {
			byCh[c.Channel] = i
		}
		if len(r.Channels) != 3 {
			t.Fatalf("channels: %+v", r.Channels)
		}
		sms, push := r.Channels[byCh["sms"]], r.Channels[byCh["push"]]
		if sms.Sent != 6 || sms.Delivered != count("sms", "delivered", live) || sms.Delivered != 3 || sms.ReportedFailed != count("sms", "failed", live) || sms.ReportedFailed != 3 {
			t.Errorf("sms: %+v", sms)
		}
		if push.Failed != 3 || push.BouncedHard != count("push", "bounce_hard", live) || push.BouncedHard != 3 {
			t.Errorf("push: %+v", push)
		}
		if len(r.Activities) != 3 || r.Activities[0].Activity != "app" || r.Activities[0].Runs != 3 || r.Activities[2].Activity != "text" || r.Activities[2].Delivered != 3 {
			t.Errorf("activities: %+v", r.Activities)
		}

		// A span: the runs started on the 2nd and before the 3rd.
		r = got(svc.CampaignReport(ctx, "hello", service.CampaignReportRequest{Since: "2026-12-02", Until: "2026-12-03T00:00:00Z"})).must(t)
		if len(r.Runs) != 1 || r.Runs[0].Run != live[1] || r.Totals.Delivered != count("sms", "delivered", live[1:2]) || r.Since == nil || r.Until == nil {
			t.Errorf("a span of one run: %+v", r)
		}
		var buf bytes.Buffer
		if err := r.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		lines, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(lines) != 2 || lines[0][0] != "run" || lines[1][0] != fmt.Sprint(live[1]) || lines[1][1] != "2026-12-02T09:00:00Z" {
			t.Errorf("CSV: %v, %v", lines, err)
		}

		_, err = svc.CampaignReport(ctx, "hello", service.CampaignReportRequest{Since: "last week"})
		wantIs(t, "a malformed since", err, service.ErrBadRequest)
		_, err = svc.CampaignReport(ctx, "hello", service.CampaignReportRequest{Since: "2026-12-03", Until: "2026-12-02"})
		wantIs(t, "an empty span", err, service.ErrBadRequest)
		_, err = svc.CampaignReport(ctx, "nonesuch", service.CampaignReportRequest{})
		wantIs(t, "the report of no campaign", err, store.ErrNotFound)
	})
}

package service_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestRunReport: a run's report, by hour or day, the same through the
// client; a span other than hour or day and an unknown run are refused
// with errors that survive the wire.
func TestRunReport(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		run := startRun(t, im)
		r := got(svc.RunReport(ctx, run, service.RunReportRequest{})).must(t)
		if r.Run != run || r.By != "day" || r.Series == nil || r.Domains == nil {
			t.Errorf("the report: %+v", r)
		}
		if r := got(svc.RunReport(ctx, run, service.RunReportRequest{By: "hour"})).must(t); r.By != "hour" {
			t.Errorf("by hour: %+v", r)
		}
		_, err := svc.RunReport(ctx, run, service.RunReportRequest{By: "week"})
		wantIs(t, "a report by week", err, service.ErrBadRequest)
		_, err = svc.RunReport(ctx, run+100, service.RunReportRequest{})
		wantIs(t, "the report of no run", err, store.ErrNotFound)
	})
}

// TestProfileErase: erasing a profile removes its messages' events,
// sandbox copies and outbox rows, and nobody else's; its consent stays; a
// key of the wrong shape is refused across the wire.
func TestProfileErase(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		db := storetest.DB(im.store)
		for _, id := range []int{1, 2} {
			msg := fmt.Sprintf(`9:mail:{"customer_id":%d}`, id)
			if _, err := db.Exec(`INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, dimension, recipient, address, status, attempts, created_at, updated_at, seq)
				VALUES ($1, 9, 'mail', 'email', 'customers', $2, 'x@example.com', 'sent', 1, now(), now(), $3)`, msg, fmt.Sprintf(`{"customer_id":%d}`, id), id); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`INSERT INTO ff_sandbox_messages (message_id, channel, address, content, sent_at) VALUES ($1, 'email', 'x@example.com', '{}', now())`, msg); err != nil {
				t.Fatal(err)
			}
			if err := im.store.Events().Append(ctx, []store.EventRecord{{At: time.Now(), Type: "open", RunID: 9, Activity: "mail", MessageID: msg}}); err != nil {
				t.Fatal(err)
			}
		}
		got(svc.SetConsent(ctx, "customers", []any{1}, "email", "opt_out", "test")).must(t)
		e := got(svc.ProfileErase(ctx, "customers", []any{1})).must(t)
		if e.Messages != 1 || e.ProfileKey != `{"customer_id":1}` {
			t.Fatalf("erased: %+v", e)
		}
		for table, want := range map[string]int{"ff_outbox": 1, "ff_sandbox_messages": 1, "ff_events": 1} {
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM ` + table + ` WHERE message_id LIKE '9:mail:%'`).Scan(&n); err != nil || n != want {
				t.Errorf("%s: %d rows left (%v), want customer 2's %d", table, n, err, want)
			}
		}
		if pc := got(svc.Consent(ctx, "customers", []any{1})).must(t); len(pc.Consent) != 1 {
			t.Errorf("the consent went with the erasure: %+v", pc)
		}
		_, err := svc.ProfileErase(ctx, "customers", []any{1, 2})
		wantIs(t, "a key of the wrong shape", err, delivery.ErrInvalidKey)
	})
}

// TestRunSaveOutput: the rows a simulation's transition carried become a
// saved audience of the same size, through either door; a transition
// without rows of a dimension and an unknown one are refused.
func TestRunSaveOutput(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		run := got(svc.RunStart(ctx, "hello", engine.RunOptions{Mode: engine.ModeSimulate})).must(t)
		l := service.New(service.Config{Store: im.store, Log: quiet()})
		defer l.Close()
		activities(t, l, run.ID)
		var carried int64 = -1
		for _, tr := range got(svc.RunStatus(ctx, run.ID)).must(t).Transitions {
			if tr.From == "fr" && tr.Count != nil {
				carried = *tr.Count
			}
		}
		a := got(svc.RunSaveOutput(ctx, run.ID, service.SaveOutputRequest{Activity: "fr", Name: "fr_of_run"})).must(t)
		if carried <= 0 || a.Count != carried || a.Dimension != "customers" {
			t.Fatalf("saved %+v, the transition carried %d", a, carried)
		}
		_, err := svc.RunSaveOutput(ctx, run.ID, service.SaveOutputRequest{Activity: "start", Name: "nothing"})
		wantIs(t, "a control transition", err, audience.ErrInvalidRequest)
		_, err = svc.RunSaveOutput(ctx, run.ID, service.SaveOutputRequest{Activity: "nonesuch", Name: "x"})
		wantIs(t, "an unknown activity", err, store.ErrNotFound)
	})
}

package service_test

import (
	"testing"

	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
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
		r := got(svc.RunReport(ctx, run, "")).must(t)
		if r.Run != run || r.By != "day" || r.Series == nil || r.Domains == nil {
			t.Errorf("the report: %+v", r)
		}
		if r := got(svc.RunReport(ctx, run, "hour")).must(t); r.By != "hour" {
			t.Errorf("by hour: %+v", r)
		}
		_, err := svc.RunReport(ctx, run, "week")
		wantIs(t, "a report by week", err, service.ErrBadRequest)
		_, err = svc.RunReport(ctx, run+100, "")
		wantIs(t, "the report of no run", err, store.ErrNotFound)
	})
}

package service_test

import (
	"testing"

	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
)

func TestRunOperations(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		run := got(svc.RunStart(ctx, "hello", engine.RunOptions{Mode: engine.ModeLive})).must(t)
		// The trigger names the way the run came: the API, or a command.
		if want := map[string]string{"local": "manual", "client": "api"}[im.name]; run.Status != engine.RunRunning || run.Trigger != want {
			t.Errorf("start: %+v, want trigger %s", run, want)
		}
		if runs := got(svc.Runs(ctx, "hello", 0)).must(t); len(runs) != 1 || runs[0].ID != run.ID {
			t.Errorf("runs: %+v", runs)
		}
		st := got(svc.RunStatus(ctx, run.ID)).must(t)
		if st.Run.ID != run.ID || len(st.Activities) != 3 || len(st.Transitions) != 2 {
			t.Errorf("status: %+v", st)
		}
		_, err := svc.RunStatus(ctx, 999)
		wantIs(t, "unknown run", err, store.ErrNotFound)

		_, err = svc.RunAction(ctx, run.ID, "resume")
		wantIs(t, "resume a running run", err, engine.ErrRunState)
		_, err = svc.RunAction(ctx, run.ID, "explode")
		wantIs(t, "an unknown action", err, service.ErrBadRequest)
		if st := got(svc.RunAction(ctx, run.ID, "pause")).must(t); st.Run.Status != engine.RunPaused {
			t.Errorf("pause: %+v", st.Run)
		}
		if st := got(svc.RunAction(ctx, run.ID, "resume")).must(t); st.Run.Status != engine.RunRunning {
			t.Errorf("resume: %+v", st.Run)
		}
		_, err = svc.RunRetry(ctx, run.ID, "fr")
		wantIs(t, "retry an activity that did not fail", err, engine.ErrRunState)
		_, err = svc.RunRetry(ctx, run.ID, "nonesuch")
		wantIs(t, "retry an unknown activity", err, store.ErrNotFound)
		_, _, err = svc.RunPreview(ctx, run.ID, "fr", "out", 1<<20)
		wantIs(t, "preview too many rows", err, store.ErrLimit)
		if figs := got(svc.RunFigures(ctx, run.ID)).must(t); len(figs) > 1 {
			t.Errorf("figures: %+v", figs)
		}
		if n := got(svc.RunConfirm(ctx, run.ID)).must(t); n != 0 {
			t.Errorf("confirm with nothing held: %d released", n)
		}

		_, err = svc.RunResolve(ctx, run.ID, engine.ResolveRequest{Decision: "both"})
		wantIs(t, "an unknown decision", err, engine.ErrDecision)
		_, err = svc.RunResolve(ctx, run.ID, engine.ResolveRequest{Decision: engine.Drop})
		wantIs(t, "nothing in doubt", err, engine.ErrRunState)
		if st := got(svc.RunAction(ctx, run.ID, "stop")).must(t); st.Run.Status != engine.RunStopped {
			t.Errorf("stop: %+v", st.Run)
		}
	})
}

// TestRecentRuns lists the runs of every campaign, newest first, with
// their campaign and mode.
func TestRecentRuns(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		if runs := got(svc.RecentRuns(ctx, 0)).must(t); len(runs) != 0 {
			t.Errorf("runs before any: %+v", runs)
		}
		got(svc.CampaignDuplicate(ctx, "hello", "again")).must(t)
		first := got(svc.RunStart(ctx, "hello", engine.RunOptions{Mode: engine.ModeLive})).must(t)
		second := got(svc.RunStart(ctx, "again", engine.RunOptions{Mode: engine.ModeSimulate})).must(t)
		runs := got(svc.RecentRuns(ctx, 0)).must(t)
		if len(runs) != 2 || runs[0].ID != second.ID || runs[0].Campaign != "again" || runs[0].Mode != engine.ModeSimulate ||
			runs[1].ID != first.ID || runs[1].Campaign != "hello" || runs[1].Mode != engine.ModeLive || runs[1].CreatedAt.IsZero() {
			t.Errorf("recent runs: %+v", runs)
		}
		if runs := got(svc.RecentRuns(ctx, 1)).must(t); len(runs) != 1 || runs[0].ID != second.ID {
			t.Errorf("the latest run: %+v", runs)
		}
		_, err := svc.RecentRuns(ctx, -1)
		wantIs(t, "a negative limit", err, service.ErrBadRequest)
	})
}

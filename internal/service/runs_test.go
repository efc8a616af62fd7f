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

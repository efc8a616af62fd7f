package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// TestRunLog: a live run paused and resumed by the caller, then worked by
// another node to its end, has its log — in this process and over the
// API — in order: the run started, paused and resumed by whom, each
// activity started and done with its rows, the run completed; read by
// activity, the run's own lines apart, after a line, at most a limit.
func TestRunLog(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx := im.ctx
		_, err := im.svc.RunLog(ctx, 999, service.RunLogRequest{})
		wantIs(t, "an unknown run", err, store.ErrNotFound)
		_, err = im.svc.RunLog(ctx, 999, service.RunLogRequest{Limit: -1})
		wantIs(t, "a negative limit", err, service.ErrBadRequest)

		id := startRun(t, im)
		got(im.svc.RunAction(ctx, id, "pause")).must(t)
		got(im.svc.RunAction(ctx, id, "resume")).must(t)
		node := service.New(service.Config{Store: im.store, Log: quiet(), Providers: sandbox(t, im.store)})
		t.Cleanup(func() { node.Close() })
		if _, err := node.Work(context.Background(), id); err != nil {
			t.Fatal(err)
		}

		all := got(im.svc.RunLog(ctx, id, service.RunLogRequest{})).must(t)
		var seen []string
		for i, l := range all {
			seen = append(seen, strings.TrimPrefix(l.Activity+" "+l.Event, " "))
			if i > 0 && l.Seq <= all[i-1].Seq || l.At.IsZero() || l.Message == "" || l.Level != engine.LogInfo {
				t.Errorf("line %d: %+v", i, l)
			}
		}
		want := []string{"run_started", "paused", "resumed", "start started", "start done", "fr started", "fr done", "mail started", "mail done", "completed"}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Fatalf("the run's log: %q, want %q", seen, want)
		}
		for _, l := range all {
			switch l.Event {
			case engine.LogRun, engine.LogPaused, engine.LogResumed:
				who, _ := l.Details["by"].(string)
				if !strings.HasPrefix(who, "cli:") && !strings.HasPrefix(who, "token:") || !strings.Contains(l.Message, " by "+who) {
					t.Errorf("%s names no one: %+v", l.Event, l)
				}
			}
		}

		fr := "fr"
		lines := got(im.svc.RunLog(ctx, id, service.RunLogRequest{Activity: &fr})).must(t)
		if len(lines) != 2 || lines[1].Event != engine.LogDone || lines[1].Details["rows_out"] != float64(2) || lines[0].Details["attempt"] != float64(1) ||
			!strings.HasPrefix(lines[1].Message, "done in ") || !strings.HasSuffix(lines[1].Message, ": 0 rows in, 2 out") {
			t.Errorf("fr's lines: %+v", lines)
		}
		own := ""
		lines = got(im.svc.RunLog(ctx, id, service.RunLogRequest{Activity: &own})).must(t)
		var events []string
		for _, l := range lines {
			events = append(events, l.Event)
		}
		if fmt.Sprint(events) != "[run_started paused resumed completed]" {
			t.Errorf("the run's own lines: %v", events)
		}
		lines = got(im.svc.RunLog(ctx, id, service.RunLogRequest{After: all[0].Seq, Limit: 2})).must(t)
		if len(lines) != 2 || lines[0].Seq != all[1].Seq || lines[1].Seq != all[2].Seq {
			t.Errorf("two lines after the first: %+v", lines)
		}
	})
}

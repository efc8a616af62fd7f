package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// A run's log reads back in order, by activity (the run's own lines
// apart), after a number, at most a limit, and only the run's.
func TestRunLog(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		runs := s.Runs()
		at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		lines := []store.LogEntry{
			{Activity: "", Level: "info", Event: "run_started", Message: "run started"},
			{Activity: "all", Level: "info", Event: "started", Message: "started", Details: `{"attempt":1}`},
			{Activity: "mail", Level: "warn", Event: "retrying", Message: "attempt 1 failed: boom", Details: `{"attempt":1,"error":"boom"}`},
			{Activity: "all", Level: "info", Event: "done", Message: "done: 12 rows", Details: `{"rows_out":12}`},
			{Activity: "", Level: "info", Event: "paused", Message: "paused by cli:ann"},
		}
		for i, l := range lines {
			l.At = at.Add(time.Duration(i) * time.Second)
			if err := runs.Log(ctx, 7, l); err != nil {
				t.Fatal(err)
			}
			if err := runs.Log(ctx, 8, store.LogEntry{Activity: "all", At: at, Level: "info", Event: "started", Message: "another run"}); err != nil {
				t.Fatal(err)
			}
		}
		all, err := runs.LogOf(ctx, 7, store.LogQuery{Limit: 100})
		if err != nil || len(all) != len(lines) {
			t.Fatalf("the run's log: %d lines, %v", len(all), err)
		}
		for i, got := range all {
			want := lines[i]
			if got.RunID != 7 || got.Activity != want.Activity || got.Event != want.Event || got.Message != want.Message || got.Details != want.Details || got.Level != want.Level ||
				!got.At.Equal(at.Add(time.Duration(i)*time.Second)) || (i > 0 && got.Seq <= all[i-1].Seq) {
				t.Errorf("line %d: %+v, want %+v", i, got, want)
			}
		}
		one := "all"
		got, err := runs.LogOf(ctx, 7, store.LogQuery{Activity: &one, Limit: 100})
		if err != nil || fmt.Sprint(events(got)) != "[started done]" {
			t.Errorf("the lines of all: %v, %v", events(got), err)
		}
		own := ""
		got, err = runs.LogOf(ctx, 7, store.LogQuery{Activity: &own, Limit: 100})
		if err != nil || fmt.Sprint(events(got)) != "[run_started paused]" {
			t.Errorf("the run's own lines: %v, %v", events(got), err)
		}
		got, err = runs.LogOf(ctx, 7, store.LogQuery{After: all[1].Seq, Limit: 2})
		if err != nil || fmt.Sprint(events(got)) != "[retrying done]" {
			t.Errorf("two lines after the second: %v, %v", events(got), err)
		}
	})
}

func events(ls []store.LogEntry) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Event)
	}
	return out
}

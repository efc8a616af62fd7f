package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// testClock is a settable clock shared by an engine and its queue.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func withClock(eng *Engine, c *testClock) {
	eng.Now = c.Now
	eng.queue.Now = c.Now
}

const waitCampaign = `name: waiting
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'all'}
  pause: {type: wait, duration: 2h}
  done: {type: end}
transitions:
  - start -> all
  - all -> pause
  - pause -> done
`

func TestPauseResumeAndWait(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		eng := setup(t, s)
		clock := &testClock{t: testNow}
		withClock(eng, clock)
		if _, err := eng.Save(ctx, []byte(waitCampaign)); err != nil {
			t.Fatal(err)
		}
		r, err := eng.Start(ctx, "waiting", RunOptions{Mode: ModeSimulate})
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go eng.Run(wctx)
		waitFor(t, eng, r.ID, func(st *RunStatus) bool {
			return activity(st, "pause").Status == ActQueued && activity(st, "all").Status == ActDone
		})
		// The wait holds the run until its time; pausing parks it even then.
		if err := eng.Pause(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		clock.Set(testNow.Add(3 * time.Hour))
		eng.notify()
		waitFor(t, eng, r.ID, func(st *RunStatus) bool { return activity(st, "pause").Status == ActHeld })
		if err := eng.Pause(ctx, r.ID); !errors.Is(err, ErrRunState) {
			t.Fatalf("pausing a paused run: %v", err)
		}
		if err := eng.Resume(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		st := waitFor(t, eng, r.ID, func(st *RunStatus) bool { return st.Run.Status == RunCompleted })
		if c := counts(st); c["pause.out->done"] != 8 {
			t.Fatalf("counts = %v", c)
		}
		if got := logEvents(t, eng, r.ID, "pause"); got != "held started done" {
			t.Errorf("the wait's log: %s", got)
		}
		if got := logEvents(t, eng, r.ID, ""); got != "run_started paused resumed completed" {
			t.Errorf("the run's own log: %s", got)
		}
	})
}

func TestStopDiscardsTheRest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		eng := setup(t, s)
		if _, err := eng.Save(ctx, []byte(waitCampaign)); err != nil {
			t.Fatal(err)
		}
		r, err := eng.Start(ctx, "waiting", RunOptions{Mode: ModeSimulate})
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go eng.Run(wctx)
		waitFor(t, eng, r.ID, func(st *RunStatus) bool { return activity(st, "pause").Status == ActQueued })
		if err := eng.Stop(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		st, _ := eng.Status(ctx, r.ID)
		if st.Run.Status != RunStopped || activity(st, "pause").Status != ActStopped || activity(st, "done").Status != ActStopped {
			t.Fatalf("after stop: %s %+v", st.Run.Status, st.Activities)
		}
		if err := eng.Resume(ctx, r.ID); !errors.Is(err, ErrRunState) {
			t.Fatalf("resuming a stopped run: %v", err)
		}
	})
}

const failingCampaign = `name: failing
dimension: customers
policy: {on_error: %s, retries: 2}
activities:
  start: {type: start}
  ok: {type: build_audience, query: 'country = "FR"'}
  bad: {type: build_audience, query: 'in audience "later"'}
  done_ok: {type: end}
  done_bad: {type: end}
transitions:
  - start -> ok
  - start -> bad
  - ok -> done_ok
  - bad -> done_bad
`

func TestFailurePolicies(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		eng := setup(t, s)
		// The saved audience exists when the campaign is checked, and is
		// gone when the activity runs: a failure at run time.
		saveTestAudience(t, s, "later", `country = "DE"`)
		doc := []byte(sprintf(failingCampaign, "abort"))
		if _, err := eng.Save(ctx, doc); err != nil {
			t.Fatal(err)
		}
		r, err := eng.Start(ctx, "failing", RunOptions{Mode: ModeSimulate})
		if err != nil {
			t.Fatal(err)
		}
		deleteAudience(t, s, "later")
		st := waitRun(t, eng, r.ID)
		if st.Run.Status != RunFailed || activity(st, "bad").Status != ActFailed || activity(st, "bad").Attempts != 2 || st.Run.Error == "" {
			t.Fatalf("abort policy: %s %q %+v", st.Run.Status, st.Run.Error, st.Activities)
		}
		// Its log tells the attempts, the retry's wait and the end.
		if got := logEvents(t, eng, r.ID, "bad"); got != "started retrying started failed" {
			t.Errorf("bad's log: %s", got)
		}
		if got := logEvents(t, eng, r.ID, ""); got != "run_started failed" {
			t.Errorf("the run's own log: %s", got)
		}
		lines, _ := eng.Log(ctx, r.ID, LogQuery{Activity: ptr("bad")})
		if len(lines) != 4 || lines[1].Level != LogWarn || lines[1].Details["retry_in_s"] != float64(2) || lines[3].Level != LogError ||
			!strings.Contains(lines[3].Message, "failed (attempts: 2): ") || lines[3].Details["error"] == "" {
			t.Errorf("bad's lines: %+v", lines)
		}

		// Under policy wait the other branch finishes and the run waits; an
		// operator's retry (once the cause is fixed) completes it.
		if _, err := eng.Save(ctx, []byte(sprintf(failingCampaign, "wait"))); err != nil {
			t.Fatal(err)
		}
		saveTestAudience(t, s, "later", `country = "DE"`)
		r, err = eng.Start(ctx, "failing", RunOptions{Mode: ModeSimulate})
		if err != nil {
			t.Fatal(err)
		}
		deleteAudience(t, s, "later")
		st = waitRun(t, eng, r.ID)
		if st.Run.Status != RunWaiting || activity(st, "done_ok").Status != ActDone || activity(st, "bad").Status != ActFailed {
			t.Fatalf("wait policy: %s %+v", st.Run.Status, st.Activities)
		}
		saveTestAudience(t, s, "later", `country = "DE"`)
		if err := eng.Retry(ctx, r.ID, "bad"); err != nil {
			t.Fatal(err)
		}
		st = waitRun(t, eng, r.ID)
		if st.Run.Status != RunCompleted || counts(st)["bad.out->done_bad"] != 2 {
			t.Fatalf("after retry: %s %v %+v", st.Run.Status, counts(st), st.Activities)
		}
		if got := logEvents(t, eng, r.ID, "bad"); got != "started retrying started failed retried started done" {
			t.Errorf("bad's log after a retry: %s", got)
		}
	})
}

// An operator's retry starts the job's attempts over at 1, whose
// execution does not look for tables earlier attempts left (execute):
// Retry drops them first, so the retried activity succeeds at once rather
// than failing on a table of the same name.
func TestRetrySweepsWhatEarlierAttemptsLeft(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		eng := setup(t, s)
		saveTestAudience(t, s, "later", `country = "DE"`)
		if _, err := eng.Save(ctx, []byte(sprintf(failingCampaign, "wait"))); err != nil {
			t.Fatal(err)
		}
		r, err := eng.Start(ctx, "failing", RunOptions{Mode: ModeSimulate})
		if err != nil {
			t.Fatal(err)
		}
		deleteAudience(t, s, "later")
		st := waitRun(t, eng, r.ID)
		if st.Run.Status != RunWaiting || activity(st, "bad").Status != ActFailed {
			t.Fatalf("wait policy: %s %+v", st.Run.Status, st.Activities)
		}
		// What a first attempt that died mid-statement would have left:
		// the table of its output (bad is the campaign's third activity).
		stray := workTablePrefix(r.ID, 2) + "0_a1"
		if _, err := storetest.DB(s).ExecContext(ctx, "CREATE TABLE "+store.Quote(stray)+" (customer_id BIGINT)"); err != nil {
			t.Fatal(err)
		}
		saveTestAudience(t, s, "later", `country = "DE"`)
		if err := eng.Retry(ctx, r.ID, "bad"); err != nil {
			t.Fatal(err)
		}
		st = waitRun(t, eng, r.ID)
		if st.Run.Status != RunCompleted || activity(st, "bad").Attempts != 1 || counts(st)["bad.out->done_bad"] != 2 {
			t.Fatalf("after retry: %s %v %+v", st.Run.Status, counts(st), st.Activities)
		}
	})
}

func TestScheduleRunsEachOccurrenceOnceAndMissedOnesLate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		eng := setup(t, s)
		clock := &testClock{t: time.Date(2026, 11, 2, 7, 0, 0, 0, time.UTC)} // a Monday
		withClock(eng, clock)
		doc := `name: weekly
dimension: customers
schedule: {cron: "0 9 * * MON", timezone: Europe/Paris}
activities:
  start: {type: start}
  all: {type: build_audience, query: 'all'}
  done: {type: end}
transitions:
  - start -> all
  - all -> done
`
		if _, err := eng.Save(ctx, []byte(doc)); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Publish(ctx, "weekly"); err != nil {
			t.Fatal(err)
		}
		tick := func() int {
			n, err := eng.Tick(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := tick(); n != 0 {
			t.Fatalf("started %d runs before the first occurrence", n)
		}
		// 09:00 Paris is 08:00 UTC in November.
		clock.Set(time.Date(2026, 11, 2, 8, 0, 30, 0, time.UTC))
		if n := tick(); n != 1 {
			t.Fatalf("first occurrence: %d runs", n)
		}
		if n := tick(); n != 0 {
			t.Fatalf("the same occurrence ran again: %d", n)
		}
		// Down for three weeks: the missed occurrences run once, late.
		clock.Set(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
		if n := tick(); n != 1 {
			t.Fatalf("after downtime: %d runs, want 1", n)
		}
		runs, err := eng.Runs(ctx, "weekly", 10)
		if err != nil || len(runs) != 2 {
			t.Fatalf("runs = %v, %v", runs, err)
		}
		if occ := runs[0].Occurrence; occ == nil || !occ.Equal(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)) {
			t.Fatalf("late run stands for occurrence %v, want the latest missed one", occ)
		}
		st := waitRun(t, eng, runs[0].ID)
		if st.Run.Status != RunCompleted || st.Run.Mode != ModeLive {
			t.Fatalf("scheduled run: %+v", st.Run)
		}
		next, err := eng.Occurrences(mustSchedule(t, eng, "weekly"), 2)
		if err != nil || len(next) != 2 || !next[0].Equal(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)) {
			t.Fatalf("next occurrences = %v, %v", next, err)
		}
	})
}

func TestCleanupDropsWorkingTablesAfterRetention(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		eng := setup(t, s)
		clock := &testClock{t: testNow}
		withClock(eng, clock)
		doc := `name: short
dimension: customers
policy: {retention: 1h}
activities:
  start: {type: start}
  all: {type: build_audience, query: 'all'}
  done: {type: end}
transitions:
  - start -> all
  - all -> done
`
		st := runToEnd(t, eng, doc, ModeSimulate)
		tables := func() int {
			var n int
			storetest.DB(s).QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'ff!_w!_%' ESCAPE '!'`).Scan(&n)
			return n
		}
		if tables() == 0 {
			t.Fatal("the run left no working table")
		}
		if n, _ := eng.Cleanup(ctx); n != 0 {
			t.Fatalf("cleaned %d runs inside their retention", n)
		}
		clock.Set(testNow.Add(2 * time.Hour))
		if n, err := eng.Cleanup(ctx); n != 1 || err != nil {
			t.Fatalf("cleanup = %d, %v", n, err)
		}
		if n := tables(); n != 0 {
			t.Fatalf("%d working tables left", n)
		}
		if _, _, err := eng.Preview(ctx, st.Run.ID, "all", "out", 5); err == nil {
			t.Fatal("preview of a cleaned run should say its table is gone")
		}
	})
}

// logEvents is the events of a run's log about one activity ("" the
// run's own), space-separated.
func logEvents(t *testing.T, eng *Engine, runID int64, activity string) string {
	t.Helper()
	lines, err := eng.Log(context.Background(), runID, LogQuery{Activity: &activity})
	if err != nil {
		t.Fatal(err)
	}
	var evs []string
	for _, l := range lines {
		evs = append(evs, l.Event)
	}
	return strings.Join(evs, " ")
}

func ptr[T any](v T) *T { return &v }

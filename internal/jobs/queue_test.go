package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/jobs"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// clock is a controllable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T, s *store.Store, owner string, c *clock) *jobs.Queue {
	q := jobs.New(s, owner, time.Minute)
	q.Now = c.Now
	return q
}

func complete(t *testing.T, s *store.Store, q *jobs.Queue, j *jobs.Job) error {
	return s.InTx(context.Background(), func(tx *store.Tx) error { return q.Complete(context.Background(), tx, j) })
}

func TestEnqueueClaimComplete(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		q := setup(t, s, "a", c)
		id, err := q.Enqueue(ctx, storetest.DB(s), "step", map[string]int{"n": 1}, jobs.EnqueueOptions{DedupeKey: "run-1/step-a"})
		if err != nil || id == 0 {
			t.Fatalf("enqueue = %d, %v", id, err)
		}
		if again, err := q.Enqueue(ctx, storetest.DB(s), "step", nil, jobs.EnqueueOptions{DedupeKey: "run-1/step-a"}); err != nil || again != 0 {
			t.Fatalf("duplicate enqueue = %d, %v; want 0", again, err)
		}
		if _, err := q.Enqueue(ctx, storetest.DB(s), "step", nil, jobs.EnqueueOptions{RunAfter: c.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		got, err := q.Claim(ctx, []string{"step"}, 10)
		if err != nil || len(got) != 1 || got[0].ID != id || got[0].Attempts != 1 {
			t.Fatalf("claim = %+v, %v; want only the due job", got, err)
		}
		var p map[string]int
		if err := got[0].Decode(&p); err != nil || p["n"] != 1 {
			t.Fatalf("payload = %v, %v", p, err)
		}
		if more, _ := q.Claim(ctx, []string{"step"}, 10); len(more) != 0 {
			t.Fatalf("claimed a leased job again: %+v", more)
		}
		if err := complete(t, s, q, got[0]); err != nil {
			t.Fatal(err)
		}
		if st, _, _, _ := q.Status(ctx, id); st != jobs.StatusDone {
			t.Fatalf("status = %s", st)
		}
		c.Add(2 * time.Hour)
		if later, _ := q.Claim(ctx, []string{"step"}, 10); len(later) != 1 {
			t.Fatalf("the delayed job did not come due: %+v", later)
		}
	})
}

func TestExpiredLeaseIsTakenOverAndFenced(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		a, b := setup(t, s, "worker-a", c), setup(t, s, "worker-b", c)
		if _, err := a.Enqueue(ctx, storetest.DB(s), "step", nil, jobs.EnqueueOptions{}); err != nil {
			t.Fatal(err)
		}
		ja, _ := a.Claim(ctx, []string{"step"}, 1)
		if len(ja) != 1 {
			t.Fatal("a claimed nothing")
		}
		c.Add(30 * time.Second)
		if jb, _ := b.Claim(ctx, []string{"step"}, 1); len(jb) != 0 {
			t.Fatal("b took a job whose lease is alive")
		}
		c.Add(time.Minute)
		jb, _ := b.Claim(ctx, []string{"step"}, 1)
		if len(jb) != 1 || jb[0].Attempts != 2 {
			t.Fatalf("b's takeover = %+v", jb)
		}
		// a wakes up and tries to commit its work: refused, rolled back.
		_, err := storetest.DB(s).Exec(`CREATE TABLE effect_a (x INTEGER)`)
		if err != nil {
			t.Fatal(err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO effect_a VALUES (1)`); err != nil {
				return err
			}
			return a.Complete(ctx, tx, ja[0])
		})
		if !errors.Is(err, jobs.ErrLeaseLost) {
			t.Fatalf("a's complete = %v, want ErrLeaseLost", err)
		}
		var n int
		storetest.DB(s).QueryRow(`SELECT count(*) FROM effect_a`).Scan(&n)
		if n != 0 {
			t.Fatal("the stale worker's effects were committed")
		}
		if err := complete(t, s, b, jb[0]); err != nil {
			t.Fatalf("b's complete: %v", err)
		}
	})
}

func TestFailRetriesThenGivesUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		q := setup(t, s, "a", c)
		id, _ := q.Enqueue(ctx, storetest.DB(s), "step", nil, jobs.EnqueueOptions{MaxAttempts: 2})
		j, _ := q.Claim(ctx, []string{"step"}, 1)
		if final, err := q.Fail(ctx, j[0], errors.New("boom"), time.Minute); err != nil || final {
			t.Fatalf("first failure: final=%v err=%v", final, err)
		}
		if again, _ := q.Claim(ctx, []string{"step"}, 1); len(again) != 0 {
			t.Fatal("retried before the backoff")
		}
		c.Add(2 * time.Minute)
		j, _ = q.Claim(ctx, []string{"step"}, 1)
		if len(j) != 1 {
			t.Fatal("not retried after the backoff")
		}
		if final, err := q.Fail(ctx, j[0], errors.New("boom again"), time.Minute); err != nil || !final {
			t.Fatalf("second failure: final=%v err=%v", final, err)
		}
		st, attempts, last, _ := q.Status(ctx, id)
		if st != jobs.StatusFailed || attempts != 2 || last != "boom again" {
			t.Fatalf("status %s attempts %d last %q", st, attempts, last)
		}
		if err := q.Retry(ctx, storetest.DB(s), id); err != nil {
			t.Fatal(err)
		}
		if j, _ := q.Claim(ctx, []string{"step"}, 1); len(j) != 1 {
			t.Fatal("operator retry did not requeue")
		}
	})
}

// TestConcurrentWorkersClaimEachJobOnce runs several workers against one
// queue: every job is completed exactly once.
func TestConcurrentWorkersClaimEachJobOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const n = 200
		c := &clock{t: time.Now()}
		seed := setup(t, s, "seed", c)
		for i := range n {
			if _, err := seed.Enqueue(ctx, storetest.DB(s), "step", i, jobs.EnqueueOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		done := map[int64]string{}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				q := setup(t, s, fmt.Sprintf("w%d", w), c)
				for {
					js, err := q.Claim(ctx, []string{"step"}, 5)
					if err != nil {
						if isConflict(err) {
							continue
						}
						errs <- err
						return
					}
					if len(js) == 0 {
						return
					}
					for _, j := range js {
						err := s.InTx(ctx, func(tx *store.Tx) error { return q.Complete(ctx, tx, j) })
						if err != nil {
							errs <- err
							return
						}
						mu.Lock()
						if prev, dup := done[j.ID]; dup {
							errs <- fmt.Errorf("job %d completed by %s and %s", j.ID, prev, q.Owner)
						}
						done[j.ID] = q.Owner
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(done) != n {
			t.Fatalf("completed %d jobs, want %d", len(done), n)
		}
	})
}

// isConflict reports a write-write conflict between transactions, which
// DuckDB raises instead of waiting; callers retry.
func isConflict(err error) bool { return jobs.IsConflict(err) }

func TestCancelByKeyPrefix(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Now()}
		q := setup(t, s, "a", c)
		for _, key := range []string{"run_1/a", "run_1/b", "run_10/a", "run%1/x"} {
			if _, err := q.Enqueue(ctx, storetest.DB(s), "step", nil, jobs.EnqueueOptions{DedupeKey: key}); err != nil {
				t.Fatal(err)
			}
		}
		n, err := q.Cancel(ctx, storetest.DB(s), "run_1/", "stopped")
		if err != nil || n != 2 {
			t.Fatalf("cancel = %d, %v; want 2 (run_10 and run%%1 untouched)", n, err)
		}
		left, _ := q.Claim(ctx, []string{"step"}, 10)
		if len(left) != 2 {
			t.Fatalf("claimable after cancel = %d, want 2", len(left))
		}
	})
}

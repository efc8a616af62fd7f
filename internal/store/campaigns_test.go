package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestCampaignsVersionsAndNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := s.Campaigns()
		if _, err := c.Get(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get of an unknown campaign = %v", err)
		}
		if _, _, _, err := c.Versions(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Versions of an unknown campaign = %v", err)
		}
		id, v1, err := c.AddVersion(ctx, "c", "draft", "doc 1", runT0)
		if err != nil || v1 != 1 {
			t.Fatalf("first version = %d, %v", v1, err)
		}
		if _, v2, err := c.AddVersion(ctx, "c", "draft", "doc 2", runT0); err != nil || v2 != 2 {
			t.Fatalf("second version = %d, %v", v2, err)
		}
		if _, err := c.Document(ctx, id, 3); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Document of an unknown version = %v", err)
		}
		if err := c.Publish(ctx, id, 1, "published", runT0); err != nil {
			t.Fatal(err)
		}
		got, err := c.Get(ctx, "c")
		if err != nil || got.LatestVersion != 2 || got.PublishedVersion != 1 || got.Document != "doc 2" || got.Status != "published" {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		if gid, latest, pub, err := c.Versions(ctx, "c"); err != nil || gid != id || latest != 2 || pub != 1 {
			t.Fatalf("Versions = %d, %d, %d, %v", gid, latest, pub, err)
		}
		if _, err := c.State(ctx, id, "hwm"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("State never set = %v", err)
		}
		for _, v := range []string{"1", "2"} {
			if err := c.SetState(ctx, id, "hwm", v); err != nil {
				t.Fatal(err)
			}
		}
		if v, err := c.State(ctx, id, "hwm"); err != nil || v != "2" {
			t.Fatalf("State = %q, %v; want the last value", v, err)
		}
	})
}

func TestCampaignsSchedules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := s.Campaigns()
		id, _, err := c.AddVersion(ctx, "c", "draft", "doc", runT0)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Schedule(ctx, id, 1, runT0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if due, err := c.DueSchedules(ctx, runT0); err != nil || len(due) != 0 {
			t.Fatalf("due before the time = %+v, %v", due, err)
		}
		due, err := c.DueSchedules(ctx, runT0.Add(time.Hour))
		if err != nil || len(due) != 1 || due[0].CampaignID != id || !due[0].At.Equal(runT0.Add(time.Hour)) {
			t.Fatalf("due = %+v, %v", due, err)
		}
		if err := c.AdvanceSchedule(ctx, id, runT0.Add(2*time.Hour), runT0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if due, _ := c.DueSchedules(ctx, runT0.Add(time.Hour)); len(due) != 0 {
			t.Fatalf("due after advancing = %+v", due)
		}
		if err := c.AdvanceSchedule(ctx, id, time.Time{}, runT0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if due, _ := c.DueSchedules(ctx, runT0.Add(24*time.Hour)); len(due) != 0 {
			t.Fatalf("due after the last occurrence = %+v", due)
		}
	})
}

// TestCampaignsDueSchedulesSkipLockedRows: on PostgreSQL a node ticking
// while another's tick holds a schedule passes over it.
func TestCampaignsDueSchedulesSkipLockedRows(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		if s.Dialect.Name() != "postgres" {
			t.Skip("one process ticks the embedded store")
		}
		ctx := context.Background()
		id, _, err := s.Campaigns().AddVersion(ctx, "c", "draft", "doc", runT0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Campaigns().Schedule(ctx, id, 1, runT0); err != nil {
			t.Fatal(err)
		}
		tx, err := storetest.DB(s).BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if due, err := s.Campaigns().On(tx).DueSchedules(ctx, runT0); err != nil || len(due) != 1 {
			t.Fatalf("due in the first tick = %+v, %v", due, err)
		}
		other, err := storetest.DB(s).BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Rollback()
		if due, err := s.Campaigns().On(other).DueSchedules(ctx, runT0); err != nil || len(due) != 0 {
			t.Fatalf("due in a tick beside it = %+v, %v; want none, at once", due, err)
		}
	})
}

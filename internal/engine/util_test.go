package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
)

var sprintf = fmt.Sprintf

func activity(st *RunStatus, id string) ActivityStatus {
	for _, a := range st.Activities {
		if a.ID == id {
			return a
		}
	}
	return ActivityStatus{}
}

// waitFor polls a run's status until cond holds.
func waitFor(t testing.TB, eng *Engine, runID int64, cond func(*RunStatus) bool) *RunStatus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := eng.Status(context.Background(), runID)
		if err != nil {
			t.Fatal(err)
		}
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d: condition not reached: %s %+v", runID, st.Run.Status, st.Activities)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func saveTestAudience(t testing.TB, s *store.Store, name, text string) {
	t.Helper()
	n, err := audience.ParseText(text)
	if err != nil {
		t.Fatal(err)
	}
	svc := &audience.Service{Store: s}
	if _, err := svc.Save(context.Background(), name, "", &audience.Query{Dimension: "customers", Where: n}); err != nil {
		t.Fatal(err)
	}
}

func deleteAudience(t testing.TB, s *store.Store, name string) {
	t.Helper()
	if err := (&audience.Service{Store: s}).Delete(context.Background(), name); err != nil {
		t.Fatal(err)
	}
}

func mustSchedule(t testing.TB, eng *Engine, name string) *campaign.Schedule {
	t.Helper()
	c, err := eng.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	d, err := campaign.Parse([]byte(c.Document))
	if err != nil {
		t.Fatal(err)
	}
	s, err := schedule(d)
	if err != nil || s == nil {
		t.Fatalf("schedule: %v", err)
	}
	return s
}

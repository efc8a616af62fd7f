package engine

import (
	"context"
	"slices"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// A worker cleaning up after its own attempt (failed, or taken over when
// its lease ran out) drops that attempt's tables only: the worker that
// took the activity over is still building its own. A new attempt's sweep
// drops whatever earlier attempts left.
func TestDropStrayOfAnAttemptLeavesItsSuccessorsTables(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEngine(s)
		for _, n := range []string{"ff_w_7_2_0_a1", "ff_w_7_2_1_a1", "ff_w_7_2_0_a2", "ff_w_7_3_0_a1"} {
			if _, err := storetest.DB(s).ExecContext(ctx, "CREATE TABLE "+store.Quote(n)+" (x INTEGER)"); err != nil {
				t.Fatal(err)
			}
		}
		left := func() []string {
			t.Helper()
			names, err := s.Runs().WorkTables(ctx, 7, "ff_w_7_", false)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(names)
			return names
		}
		e.dropStray(ctx, 7, 2, 1)
		if got, want := left(), []string{"ff_w_7_2_0_a2", "ff_w_7_3_0_a1"}; !slices.Equal(got, want) {
			t.Fatalf("after attempt 1 cleaned up: %v, want %v", got, want)
		}
		e.dropStray(ctx, 7, 2, 0)
		if got, want := left(), []string{"ff_w_7_3_0_a1"}; !slices.Equal(got, want) {
			t.Fatalf("after a new attempt's sweep: %v, want %v", got, want)
		}
	})
}

package engine

import (
	"slices"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/campaign"
)

// TestEveryActivityTypeHasAnExecutor keeps the two registries in step: a
// type campaign accepts but the engine cannot run would pass validation and
// fail every run at that activity; an executor campaign does not know is
// dead code, or a type whose validation was forgotten.
func TestEveryActivityTypeHasAnExecutor(t *testing.T) {
	types := campaign.TypeNames()
	for _, typ := range types {
		if executors[typ] == nil {
			t.Errorf("activity type %q (campaign.Types) has no executor in engine.executors", typ)
		}
	}
	for typ := range executors {
		if !slices.Contains(types, typ) {
			t.Errorf("engine.executors runs %q, which campaign.Types does not define", typ)
		}
	}
}

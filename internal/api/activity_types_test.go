package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestActivityTypesOverHTTP: the canvas's palette and forms come from
// GET /api/activity-types — every type of the registry, with its ports
// and settings schema — and editors' from GET /api/campaign-schema; both
// need a token.
func TestActivityTypesOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv := setup(t, s)
		if code, _ := call(t, srv, "GET", "/api/activity-types", "", false); code != http.StatusUnauthorized {
			t.Errorf("without a token: %d", code)
		}
		code, out := call(t, srv, "GET", "/api/activity-types", "", true)
		types, _ := out["types"].([]any)
		if code != http.StatusOK || len(types) != len(campaign.Types) {
			t.Fatalf("activity types: %d, %d types, want %d", code, len(types), len(campaign.Types))
		}
		for _, x := range types {
			at := x.(map[string]any)
			if at["type"] == "split" && (at["group"] != "targeting" || at["dynamic_outputs"] != true || fmt.Sprint(at["settings"].(map[string]any)["required"]) != "[subsets]") {
				t.Errorf("split = %v", at)
			}
		}
		code, out = call(t, srv, "GET", "/api/campaign-schema", "", true)
		if code != http.StatusOK || out["title"] != "Fanfare campaign" {
			t.Errorf("campaign schema: %d %.200v", code, out)
		}
	})
}

package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestRunActionsOnAMissingRun: acting on a run that does not exist is a
// 404, not a 500 that shows SQL.
func TestRunActionsOnAMissingRun(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv := setup(t, s)
		for _, path := range []string{"/api/runs/999/pause", "/api/runs/999/resume", "/api/runs/999/stop", "/api/runs/999/activities/a/retry"} {
			code, out := call(t, srv, "POST", path, "", true)
			e, _ := out["error"].(map[string]any)
			if code != http.StatusNotFound || e["code"] != "not_found" || !strings.Contains(e["message"].(string), "run 999") {
				t.Errorf("POST %s: %d %v", path, code, out)
			}
		}
	})
}

// TestHTTPStatusesSayWhatIsWrong: a wrong method is 405 with Allow, a
// body over its limit 413 naming the limit, and the bearer scheme is
// case-insensitive.
func TestHTTPStatusesSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	srv := setup(t, storetest.Open(t, "duckdb"))
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/api/campaigns", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, POST" {
		t.Fatalf("PUT /api/campaigns: %s, Allow %q", resp.Status, resp.Header.Get("Allow"))
	}
	if code, _ := call(t, srv, "GET", "/api/nothing-here", "", true); code != http.StatusNotFound {
		t.Fatalf("unknown path: %d", code)
	}

	big := `{"channel": "email", "address": "` + strings.Repeat("a", 70<<10) + `@example.com"}`
	code, out := call(t, srv, "POST", "/api/suppressions", big, true)
	if e, _ := out["error"].(map[string]any); code != http.StatusRequestEntityTooLarge || !strings.Contains(e["message"].(string), "limit of 64 KiB") {
		t.Fatalf("body over the limit: %d %v", code, out)
	}

	code, out = call(t, srv, "GET", "/api/messages?limit=100000", "", true)
	if e, _ := out["error"].(map[string]any); code != http.StatusBadRequest || !strings.Contains(e["message"].(string), "at most 10000 messages") {
		t.Fatalf("messages over the maximum: %d %v", code, out)
	}

	for _, scheme := range []string{"bearer", "BEARER", "Bearer"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/campaigns", nil)
		req.Header.Set("Authorization", scheme+" "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("Authorization: %s …: %s", scheme, resp.Status)
		}
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/campaigns", nil)
	req.Header.Set("Authorization", "Basic "+token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("another scheme: %v %v", resp.Status, err)
	}
}

package api_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestEveryOperationAnswersItsDocument walks the operations no other test
// of this package reaches with success, so that their answers too are
// checked against openapi.json: the reads, and the controls of a live run
// the server records without running (its engine has no workers).
func TestEveryOperationAnswersItsDocument(t *testing.T) {
	t.Parallel()
	srv := setup(t, storetest.Open(t, "duckdb"))
	do := func(method, path, body string, want int) map[string]any {
		t.Helper()
		code, out := call(t, srv, method, path, body, true)
		if code != want {
			t.Fatalf("%s %s: %d %v, want %d", method, path, code, out, want)
		}
		return out
	}
	do("GET", "/api/openapi.json", "", http.StatusOK)
	do("POST", "/api/model/validate", shopModel, http.StatusOK)
	do("POST", "/api/model", shopModel, http.StatusOK)
	do("GET", "/api/model", "", http.StatusOK)
	do("GET", "/api/model/versions/1", "", http.StatusOK)
	imp := do("POST", "/api/imports?entity=customers&name=c.csv", "customer_id,email,country\n1,a@example.com,FR\n2,b@example.com,DE\n", http.StatusAccepted)
	do("GET", "/api/imports", "", http.StatusOK)
	do("GET", "/api/entities", "", http.StatusOK)
	do("GET", "/api/imports/"+strconv.FormatInt(int64(imp["import_id"].(float64)), 10), "", http.StatusOK)

	do("POST", "/api/audiences/validate", `{"dimension": "customers", "text": "country = \"FR\""}`, http.StatusOK)
	do("POST", "/api/audiences", `{"name": "fr", "dimension": "customers", "text": "country = \"FR\""}`, http.StatusCreated)
	do("GET", "/api/audiences", "", http.StatusOK)
	do("GET", "/api/audiences/fr", "", http.StatusOK)
	do("POST", "/api/audiences/fr/append", `{"dimension": "customers", "text": "country = \"DE\""}`, http.StatusOK)

	do("POST", "/api/campaigns", campaignDoc, http.StatusOK)
	do("GET", "/api/campaigns/frenchies", "", http.StatusOK)
	do("POST", "/api/campaigns/frenchies/publish", "", http.StatusOK)
	do("GET", "/api/campaigns/frenchies/schedule", "", http.StatusOK)
	run := do("POST", "/api/campaigns/frenchies/runs", `{"mode": "live"}`, http.StatusCreated)
	do("GET", "/api/campaigns/frenchies/runs", "", http.StatusOK)
	do("GET", "/api/runs?limit=5", "", http.StatusOK)
	id := "/api/runs/" + strconv.FormatInt(int64(run["id"].(float64)), 10)
	do("GET", id+"/report?by=hour", "", http.StatusOK)
	if out := do("GET", id+"/report?format=csv", "", http.StatusOK); !strings.HasPrefix(out["raw"].(string), "activity,channel,targeted,sent") {
		t.Errorf("a report as CSV: %v", out)
	}
	do("GET", id+"/report?by=week", "", http.StatusBadRequest)
	if out := do("GET", id+"/report?format=csv&table=uplift&conversion=country+%3D+%22FR%22", "", http.StatusOK); !strings.HasPrefix(out["raw"].(string), "split,conversion,within,reference,random,subset") {
		t.Errorf("a report's uplifts as CSV: %v", out)
	}
	do("GET", id+"/report?table=nonesuch", "", http.StatusBadRequest)
	do("GET", id+"/report?conversion=country+%3D", "", http.StatusBadRequest)
	do("GET", id+"/report?conversion=country+%3D+%22FR%22&within=soon", "", http.StatusBadRequest)
	if out := do("GET", "/api/campaigns/frenchies/report?since=2020-01-01", "", http.StatusOK); len(out["runs"].([]any)) != 1 {
		t.Errorf("a campaign's report: %v", out)
	}
	if out := do("GET", "/api/campaigns/frenchies/report?format=csv&until=2020-01-01", "", http.StatusOK); out["raw"].(string) != "run,started_at,status,targeted,sent,excluded,failed,in_doubt,pending,delivered,bounced_hard,bounced_soft,reported_failed,complaints,opened,opens,opens_by_machines,clicked,clicks,clicks_by_machines,unsubscribed\n" {
		t.Errorf("a campaign's report as CSV, no run in the span: %v", out)
	}
	do("GET", "/api/campaigns/frenchies/report?since=yesterday", "", http.StatusBadRequest)
	do("GET", "/api/campaigns/nonesuch/report", "", http.StatusNotFound)
	do("POST", id+"/confirm", "", http.StatusOK)
	do("POST", id+"/pause", "", http.StatusOK)
	do("POST", id+"/resume", "", http.StatusOK)
	do("POST", id+"/stop", "", http.StatusOK)
	if out := do("GET", id+"/events", "", http.StatusOK); !strings.Contains(out["raw"].(string), `"final":true`) {
		t.Errorf("a stopped run's events: %v", out)
	}
	if out := do("GET", id+"/log?activity=&limit=10", "", http.StatusOK); len(out["entries"].([]any)) < 4 {
		t.Errorf("the run's own log (started, confirmed, paused, resumed, stopped): %v", out)
	}
	do("GET", id+"/log?after=-1", "", http.StatusBadRequest)
	do("GET", id+"/log?limit=many", "", http.StatusBadRequest)
	do("GET", "/api/runs/999/log", "", http.StatusNotFound)
	do("POST", "/api/campaigns/frenchies/archive", "", http.StatusOK)
	if out := do("POST", "/api/campaigns/frenchies/runs", `{"mode": "live"}`, http.StatusConflict); out["error"].(map[string]any)["reason"] != "archived" {
		t.Errorf("a run of an archived campaign: %v", out)
	}
	if out := do("DELETE", "/api/campaigns/frenchies", "", http.StatusConflict); out["error"].(map[string]any)["reason"] != "has_runs" {
		t.Errorf("deleting a campaign with runs: %v", out)
	}
	do("POST", "/api/campaigns/frenchies/unarchive", "", http.StatusOK)
	do("POST", "/api/campaigns/frenchies/duplicate", `{"name": "copy"}`, http.StatusCreated)
	do("DELETE", "/api/campaigns/copy", "", http.StatusNoContent)
	do("GET", "/api/campaigns/copy", "", http.StatusNotFound)

	if out := do("GET", "/api/campaigns/frenchies/versions", "", http.StatusOK); len(out["versions"].([]any)) != 1 {
		t.Errorf("versions: %v", out)
	}
	if out := do("GET", "/api/campaigns/frenchies/versions/1", "", http.StatusOK); out["current"] != true || out["document"] == "" {
		t.Errorf("version 1: %v", out)
	}
	do("GET", "/api/campaigns/frenchies/versions/9", "", http.StatusNotFound)

	// The working draft: read (the latest version as revision 0), stored
	// unparseable, stale from an old revision, saved as a version.
	if out := do("GET", "/api/campaigns/frenchies/draft", "", http.StatusOK); out["revision"] != 0.0 || out["parses"] != true {
		t.Errorf("a campaign's draft before any edit: %v", out)
	}
	broken, _ := json.Marshal(map[string]any{"document": "name: frenchies\nactivities: {", "revision": 0})
	if out := do("PUT", "/api/campaigns/frenchies/draft", string(broken), http.StatusOK); out["revision"] != 1.0 || out["parses"] != false {
		t.Errorf("an unparseable draft: %v", out)
	}
	if out := do("PUT", "/api/campaigns/frenchies/draft", string(broken), http.StatusConflict); out["error"].(map[string]any)["reason"] != "stale_draft" {
		t.Errorf("a draft saved from an old revision: %v", out)
	}
	fixed, _ := json.Marshal(map[string]any{"document": campaignDoc, "revision": 1})
	do("PUT", "/api/campaigns/frenchies/draft", string(fixed), http.StatusOK)
	if out := do("POST", "/api/campaigns/frenchies/draft/save", `{"revision": 2}`, http.StatusOK); out["latest_version"] != 2.0 {
		t.Errorf("a draft saved as a version: %v", out)
	}
	do("PUT", "/api/campaigns/frenchies/draft", string(broken), http.StatusOK)
	do("DELETE", "/api/campaigns/frenchies/draft", "", http.StatusNoContent)
	if out := do("GET", "/api/cron/next?cron=0+9+*+*+1&timezone=Europe/Paris&n=3", "", http.StatusOK); len(out["next"].([]any)) != 3 {
		t.Errorf("cron occurrences: %v", out)
	}
	do("GET", "/api/cron/next?cron=0+9+*+*", "", http.StatusBadRequest)

	if out := do("POST", "/api/profiles/erase", `{"dimension": "customers", "key": [1]}`, http.StatusOK); out["profile_key"] != `{"customer_id":1}` {
		t.Errorf("an erasure: %v", out)
	}
	do("GET", "/api/messages", "", http.StatusOK)
	do("GET", "/api/keys", "", http.StatusOK)
	do("GET", "/api/nodes", "", http.StatusOK)
}

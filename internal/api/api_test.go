package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/api/apitest"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const token = "test-token"

func setup(t *testing.T, s *store.Store) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(newAPI(t, api.Config{Service: service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler)}), Token: token, Version: "test", Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	return srv
}

// newAPI builds the API server with its traffic checked against
// openapi.json: a request or answer the document does not describe fails t.
func newAPI(t *testing.T, cfg api.Config) http.Handler {
	t.Helper()
	if cfg.Service != nil {
		// Its background imports end before the store closes.
		t.Cleanup(func() { cfg.Service.Close() })
	}
	return apitest.Validate(t, api.New(cfg))
}

func call(t *testing.T, srv *httptest.Server, method, path, body string, auth bool) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if resp.Header.Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	} else {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out
}

// upload posts a file to an import path (POST /api/imports?…) and, once
// the server answers 202, follows the import to its end: the status of
// the upload and the import as it ended (or the error answer).
func upload(t *testing.T, srv *httptest.Server, path, body string) (int, map[string]any) {
	t.Helper()
	code, out := call(t, srv, "POST", path, body, true)
	if code != http.StatusAccepted {
		return code, out
	}
	return code, waitImport(t, srv, int64(out["import_id"].(float64)))
}

// waitImport follows an import until it is no longer running.
func waitImport(t *testing.T, srv *httptest.Server, id int64) map[string]any {
	t.Helper()
	get := "/api/imports/" + strconv.FormatInt(id, 10)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		code, out := call(t, srv, "GET", get, "", true)
		if code != http.StatusOK || out["state"] != "running" {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %d still running: %v", id, out)
		}
	}
}

const model = `entities:
  customers:
    key: customer_id
    attributes:
      customer_id: integer
      email: string
`

func TestModelAndImportOverHTTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv := setup(t, s)
		if code, _ := call(t, srv, "GET", "/api/model", "", true); code != http.StatusNotFound {
			t.Fatalf("model before apply: %d", code)
		}
		code, out := call(t, srv, "POST", "/api/model/validate", "entities:\n  c:\n    key: id\n    attributes:\n      id: strng\n", true)
		if code != http.StatusBadRequest {
			t.Fatalf("validate bad model: %d %v", code, out)
		}
		problems := out["error"].(map[string]any)["details"].([]any)
		if p := problems[0].(map[string]any); p["line"].(float64) != 5 || !strings.Contains(p["path"].(string), "id") {
			t.Fatalf("problem = %v", p)
		}
		if code, out = call(t, srv, "POST", "/api/model", model, true); code != http.StatusOK || out["version"].(float64) != 1 {
			t.Fatalf("apply: %d %v", code, out)
		}
		// The upload answers 202; the import's outcomes read apart: every
		// row loaded, some, none.
		code, out = upload(t, srv, "/api/imports?entity=customers&name=c.csv", "customer_id,email\n1,a@example.com\nx,b@example.com\n")
		if code != http.StatusAccepted || out["state"] != "done" || out["status"] != "completed_with_rejects" || out["inserted"].(float64) != 1 || out["rejected"].(float64) != 1 {
			t.Fatalf("import with a bad row: %d %v", code, out)
		}
		if rj := out["rejects"].([]any)[0].(map[string]any); rj["line"].(float64) != 3 || rj["column"] != "customer_id" || rj["value"] != "x" || rj["reason"] == "" {
			t.Fatalf("reject = %v", rj)
		}
		if code, out := upload(t, srv, "/api/imports?entity=customers&name=c.csv", "customer_id,email\n9,z@example.com\n"); code != http.StatusAccepted || out["state"] != "done" || out["status"] != "completed" {
			t.Fatalf("clean import: %d %v", code, out)
		}
		if code, out = upload(t, srv, "/api/imports?entity=customers&name=c.csv", "customer_id,email\nx,b@example.com\ny,c@example.com\n"); out["state"] != "failed" ||
			out["error_kind"] != "nothing_loaded" || out["status"] != "failed" {
			t.Fatalf("import with every row bad: %d %v", code, out)
		}
		id := int64(out["import_id"].(float64))
		code, out = call(t, srv, "GET", "/api/imports/"+strconv.FormatInt(id, 10)+"/rejects", "", true)
		if code != http.StatusOK || !strings.Contains(out["raw"].(string), `"line":3`) {
			t.Fatalf("rejects: %d %v", code, out)
		}
		code, out = upload(t, srv, "/api/imports?entity=customers&name=c.csv&max_errors=0", "customer_id,email\nx,b@example.com\n")
		if out["state"] != "failed" || out["error_kind"] != "too_many_errors" {
			t.Fatalf("import over max_errors: %d %v", code, out)
		}
		code, out = upload(t, srv, "/api/imports?entity=customers&name=c.csv", "customer_id,nope\n1,2\n")
		if out["state"] != "failed" || out["error_kind"] != "bad_input" || !strings.Contains(out["error"].(string), "nope") {
			t.Fatalf("import with bad header: %d %v", code, out)
		}
		code, out = upload(t, srv, "/api/imports?entity=nonesuch&name=c.csv", "customer_id\n1\n")
		if code != http.StatusBadRequest || out["error"].(map[string]any)["reason"] != "unknown_entity" {
			t.Fatalf("import into an unknown entity: %d %v", code, out)
		}
		code, out = call(t, srv, "GET", "/api/imports?limit=2", "", true)
		if list := out["imports"].([]any); code != http.StatusOK || len(list) != 2 || list[0].(map[string]any)["error_kind"] != "bad_input" {
			t.Fatalf("history: %d %v", code, out)
		}
		// Dropping an attribute of a table with data needs the flag.
		smaller := strings.Replace(model, "      email: string\n", "", 1)
		if code, out = call(t, srv, "POST", "/api/model", smaller, true); code != http.StatusConflict {
			t.Fatalf("destructive apply: %d %v", code, out)
		}
		if code, out = call(t, srv, "POST", "/api/model?allow_destructive=true", smaller, true); code != http.StatusOK {
			t.Fatalf("destructive apply with flag: %d %v", code, out)
		}
		if code, out = call(t, srv, "GET", "/api/model/versions", "", true); code != http.StatusOK || len(out["versions"].([]any)) != 2 {
			t.Fatalf("history: %d %v", code, out)
		}
	})
}

func TestAuthIsRequired(t *testing.T) {
	t.Parallel()
	srv := setup(t, storetest.Open(t, "duckdb"))
	for _, path := range []string{"/api/model", "/api/model/versions", "/api/imports/1"} {
		if code, out := call(t, srv, "GET", path, "", false); code != http.StatusUnauthorized || out["error"] == nil {
			t.Errorf("GET %s without token: %d %v", path, code, out)
		}
	}
	if code, _ := call(t, srv, "GET", "/api/health", "", false); code != http.StatusOK {
		t.Errorf("health: %d", code)
	}
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "duckdb")
	srv := setup(t, s)
	if code, _ := call(t, srv, "POST", "/api/model", model, true); code != http.StatusOK {
		t.Fatal(code)
	}
	// Break the store under the server: the client sees a generic error.
	if _, err := storetest.DB(s).Exec(`DROP TABLE ff_imports`); err != nil {
		t.Fatal(err)
	}
	code, out := call(t, srv, "GET", "/api/imports/1", "", true)
	msg := out["error"].(map[string]any)["message"].(string)
	if code != http.StatusInternalServerError || strings.Contains(strings.ToLower(msg), "ff_imports") {
		t.Fatalf("%d %q", code, msg)
	}
}

// TestOpenAPICoversRoutes keeps openapi.json in step with routes.go.
func TestOpenAPICoversRoutes(t *testing.T) {
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	raw, _ := os.ReadFile("openapi.json")
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	routes := regexp.MustCompile(`HandleFunc\("(GET|POST|PUT|PATCH|DELETE) (/api/[^"]*)"`).FindAllStringSubmatch(string(src), -1)
	if len(routes) < 5 {
		t.Fatalf("found only %d routes", len(routes))
	}
	seen := map[string]bool{}
	for _, r := range routes {
		method, path := strings.ToLower(r[1]), r[2]
		seen[method+" "+path] = true
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("route %s %s is not in openapi.json", r[1], path)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !seen[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which routes.go does not serve", method, path)
			}
		}
	}
}

// TestHealthShowsFailingProviders: a node whose dispatcher rests a failing
// provider says so, still answering 200 (its other channels send).
func TestHealthShowsFailingProviders(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "duckdb")
	var outages []delivery.Outage
	srv := httptest.NewServer(newAPI(t, api.Config{Service: service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler)}), Token: token, Log: slog.New(slog.DiscardHandler), Outages: func() []delivery.Outage { return outages }}))
	t.Cleanup(srv.Close)
	if code, out := call(t, srv, "GET", "/api/health", "", false); code != http.StatusOK || out["status"] != "ok" || out["providers_failing"] != nil {
		t.Fatalf("health: %d %v", code, out)
	}
	outages = []delivery.Outage{{Channel: "sms", Until: time.Date(2026, 11, 1, 12, 0, 30, 0, time.UTC), Rest: "30s"}}
	code, out := call(t, srv, "GET", "/api/health", "", false)
	failing, _ := out["providers_failing"].([]any)
	if code != http.StatusOK || out["status"] != "degraded" || len(failing) != 1 || failing[0].(map[string]any)["channel"] != "sms" || failing[0].(map[string]any)["until"] != "2026-11-01T12:00:30Z" {
		t.Fatalf("health with a failing provider: %d %v", code, out)
	}
}

package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/outbound"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestOutboundDoors walks the outbound operations through the API, each
// answer checked against openapi.json: the destinations, an audience
// published to files, a dead letter listed, shown, refused again and
// redelivered, and a server without destinations.
func TestOutboundDoors(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "duckdb")
	dir := filepath.Join(t.TempDir(), "lake")
	var down atomic.Bool
	down.Store(true)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer hook.Close()
	c := &outbound.Config{Destinations: []outbound.Destination{{Name: "lake", Kind: "files", Dir: dir},
		{Name: "cdp", Kind: "webhook", URL: hook.URL + "?key=sekrit", Secret: "a secret of 16+ chars", Attempts: 1}}}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	svc := service.New(service.Config{Store: s, Log: log, Outbound: outbound.New(s, c, outbound.Options{})})
	srv := httptest.NewServer(newAPI(t, api.Config{Service: svc, Token: token, Log: log}))
	defer srv.Close()
	do := func(method, path, body string, want int) map[string]any {
		t.Helper()
		code, out := call(t, srv, method, path, body, true)
		if code != want {
			t.Fatalf("%s %s: %d %v, want %d", method, path, code, out, want)
		}
		return out
	}
	do("POST", "/api/model", shopModel, http.StatusOK)
	upload(t, srv, "/api/imports?entity=customers&name=c.csv", "customer_id,email,country\n1,a@example.com,FR\n2,b@example.com,DE\n")
	do("POST", "/api/audiences", `{"name": "fr", "dimension": "customers", "text": "country = \"FR\""}`, http.StatusCreated)

	if out := do("GET", "/api/outbound/destinations", "", http.StatusOK); len(out["destinations"].([]any)) != 2 {
		t.Errorf("destinations: %v", out)
	}
	do("PUT", "/api/audiences/fr/publish", `{"destination": "lake", "attributes": ["country"]}`, http.StatusOK)
	do("PUT", "/api/audiences/fr/publish", `{"destination": "nowhere"}`, http.StatusBadRequest)
	do("PUT", "/api/audiences/nonesuch/publish", `{"destination": "lake"}`, http.StatusNotFound)
	svc.WaitPublications()
	if b, err := os.ReadFile(filepath.Join(dir, "audience-fr.csv")); err != nil || string(b) != "customer_id,country\n1,FR\n" {
		t.Errorf("audience-fr.csv: %q %v", b, err)
	}
	if out := do("GET", "/api/audiences/fr", "", http.StatusOK); out["publish"].(map[string]any)["destination"] != "lake" {
		t.Errorf("a published audience: %v", out)
	}
	do("DELETE", "/api/audiences/fr/publish", "", http.StatusNoContent)
	do("DELETE", "/api/audiences/nonesuch/publish", "", http.StatusNotFound)

	dl := store.DeadLetter{Destination: "cdp", Kind: outbound.KindEvents, FirstSeq: 1, LastSeq: 2, Items: 2, Body: "{}\n{}\n", Attempts: 8, Error: "503", CreatedAt: time.Now()}
	id, err := s.Outbound().AddDeadLetter(t.Context(), dl)
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/outbound/dead-letters/" + strconv.FormatInt(id, 10)
	if out := do("GET", "/api/outbound/dead-letters?destination=cdp&redelivered=false&limit=10", "", http.StatusOK); len(out["dead_letters"].([]any)) != 1 {
		t.Errorf("dead letters: %v", out)
	}
	do("GET", "/api/outbound/dead-letters?destination=nowhere", "", http.StatusBadRequest)
	if out := do("GET", path, "", http.StatusOK); out["body"] != "{}\n{}\n" {
		t.Errorf("a dead letter: %v", out)
	}
	do("GET", "/api/outbound/dead-letters/999", "", http.StatusNotFound)
	if out := do("POST", path+"/redeliver", "", http.StatusBadGateway); strings.Contains(out["error"].(map[string]any)["message"].(string), "sekrit") {
		t.Errorf("a refused redelivery shows the URL's query: %v", out)
	}
	down.Store(false)
	if out := do("POST", path+"/redeliver", "", http.StatusOK); out["redelivered_at"] == nil {
		t.Errorf("a redelivery: %v", out)
	}
	do("POST", "/api/outbound/dead-letters/999/redeliver", "", http.StatusNotFound)

	bare := setup(t, storetest.Open(t, "duckdb"))
	for _, p := range []string{"/api/outbound/destinations", "/api/outbound/dead-letters", "/api/outbound/dead-letters/1"} {
		if code, out := call(t, bare, "GET", p, "", true); code != http.StatusServiceUnavailable || out["error"].(map[string]any)["code"] != "no_outbound" {
			t.Errorf("%s without destinations: %d %v", p, code, out)
		}
	}
}

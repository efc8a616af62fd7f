package api_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestServesTheConsole: the API server serves the embedded console at /
// and at its client routes, its assets with their types, and never lets
// the page's fallback shadow its own prefixes.
func TestServesTheConsole(t *testing.T) {
	t.Parallel()
	srv := setup(t, storetest.Open(t, "duckdb"))
	fetch := func(method, path string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	isPage := func(body string) bool { return strings.Contains(body, `<div id="root"></div>`) }

	resp, index := fetch("GET", "/")
	if resp.StatusCode != http.StatusOK || !isPage(index) || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), index)
	}
	for _, path := range []string{"/audiences/x", "/data/imports/42", "/settings"} {
		if resp, body := fetch("GET", path); resp.StatusCode != http.StatusOK || body != index {
			t.Errorf("GET %s: %d, not the console's page", path, resp.StatusCode)
		}
	}
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	assets := regexp.MustCompile(`/assets/[^"]+\.(js|css)`).FindAllString(index, -1)
	if len(assets) < 2 {
		t.Fatalf("index.html names %d assets: %s", len(assets), index)
	}
	for _, a := range assets {
		resp, _ := fetch("GET", a)
		if want := types[a[strings.LastIndex(a, "."):]]; resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != want {
			t.Errorf("GET %s: %d %q, want 200 %q", a, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
	}

	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/assets/index-missing.js", 404},
		{"GET", "/api/nope", 404},
		{"GET", "/api/audiences/x/nope", 404},
		{"GET", "/u/", 404},
		{"DELETE", "/u/abc", 405},
		{"GET", "/callbacks/sms", 405},
		{"GET", "/callbacks/other", 404},
		{"GET", "/metrics", 404},
		{"GET", "/t/x", 404},
		{"POST", "/t/c/abc", 405},
	} {
		resp, body := fetch(tt.method, tt.path)
		if resp.StatusCode != tt.status || isPage(body) {
			t.Errorf("%s %s: %d, want %d and not the console's page:\n%s", tt.method, tt.path, resp.StatusCode, tt.status, body)
		}
	}
	if code, out := call(t, srv, "GET", "/api/health", "", false); code != http.StatusOK || out["status"] == nil {
		t.Errorf("GET /api/health: %d %v", code, out)
	}
	if code, _ := call(t, srv, "GET", "/api/audiences", "", false); code != http.StatusUnauthorized {
		t.Errorf("GET /api/audiences without a token: %d, want 401", code)
	}
}

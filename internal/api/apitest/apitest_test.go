package apitest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// failures collects what Validate reports instead of failing the test.
type failures struct {
	testing.TB
	mu   sync.Mutex
	msgs []string
}

func (f *failures) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

// TestValidateReportsMismatches: answers the document does not describe
// fail the test, with method, path, status and why; answers it does
// describe do not.
func TestValidateReportsMismatches(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, auth string
		status                   int
		ctype, body, want        string
	}{
		{name: "undeclared status", method: "GET", path: "/api/health", status: http.StatusTeapot, ctype: "application/json", body: `{}`, want: "GET /api/health → 418: status is not supported"},
		{name: "wrong type", method: "GET", path: "/api/health", status: 200, ctype: "application/json", body: `{"status": 7}`, want: "GET /api/health → 200: response body doesn't match"},
		{name: "error shape", method: "GET", path: "/api/nonesuch", auth: "Bearer x", status: 404, ctype: "application/json", body: `{"oops": 1}`, want: "not an ErrorBody"},
		{name: "unknown path answered", method: "GET", path: "/api/nonesuch", status: 200, ctype: "application/json", body: `{}`, want: "no operation of the document serves it"},
		{name: "refused request accepted", method: "GET", path: "/api/tokens", status: 200, ctype: "application/json", body: `{"tokens": []}`, want: "accepted a request the document refuses"},
		{name: "valid", method: "GET", path: "/api/health", status: 200, ctype: "application/json", body: `{"status": "ok", "version": "t", "store": "duckdb", "location": "x", "pid": 1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &failures{TB: t}
			srv := httptest.NewServer(Validate(f, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})))
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			srv.Close()
			got := strings.Join(f.msgs, "\n")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("reported %q, want %q", got, tc.want)
			}
		})
	}
	if ops := Exercised()["GET /api/health"]; len(ops) == 0 {
		t.Fatalf("coverage did not record GET /api/health: %v", Exercised())
	}
}

// TestTransportChecksAClient: the client side sees the same checks.
func TestTransportChecksAClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status": 7}`)
	}))
	defer srv.Close()
	f := &failures{TB: t}
	c := &http.Client{Transport: Transport(f, nil)}
	resp, err := c.Get(srv.URL + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(f.msgs) != 1 || !strings.Contains(f.msgs[0], "GET /api/health → 200") {
		t.Fatalf("reported %q", f.msgs)
	}
}

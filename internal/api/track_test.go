package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestTrackingLinks: a click redirects to the URL sealed in its token and
// nowhere else (an altered token is refused, never redirected), a pixel
// always answers an image, and each hit is recorded with the verdict on
// who made it — a person, Apple's proxy (its address read from the
// reverse proxy's X-Forwarded-For), a scanner's HEAD.
func TestTrackingLinks(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "duckdb")
	ctx := context.Background()
	svc := service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(newAPI(t, api.Config{Service: svc, Token: token, Log: slog.New(slog.DiscardHandler), TrustForwarded: true}))
	t.Cleanup(srv.Close)
	sent := time.Now().Add(-time.Hour).UnixMilli()
	click, err := svc.Links().TrackToken(ctx, delivery.Track{Kind: "c", MessageID: "1:mail:1", RunID: 1, Activity: "mail", Link: 1, URL: "https://shop.example/new?a=1&b=2", Sent: sent})
	if err != nil {
		t.Fatal(err)
	}
	open, err := svc.Links().TrackToken(ctx, delivery.Track{Kind: "o", MessageID: "1:mail:1", RunID: 1, Activity: "mail", Sent: sent})
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(method, path, ua, xff string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("User-Agent", ua)
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	const person = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.0"
	if r := get("GET", "/t/c/"+click, person, ""); r.StatusCode != http.StatusFound || r.Header.Get("Location") != "https://shop.example/new?a=1&b=2" {
		t.Fatalf("a click: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := get("HEAD", "/t/c/"+click, person, ""); r.StatusCode != http.StatusFound {
		t.Fatalf("a scanner's HEAD: %d", r.StatusCode)
	}
	altered := click[:len(click)-3] + "AAA"
	if r := get("GET", "/t/c/"+altered, person, ""); r.StatusCode != http.StatusNotFound || r.Header.Get("Location") != "" {
		t.Fatalf("an altered click: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	for _, xff := range []string{"", "198.51.100.1, 17.58.1.2"} {
		if r := get("GET", "/t/o/"+open, person, xff); r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/gif" {
			t.Fatalf("an open: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
		}
	}
	if r := get("GET", "/t/o/nonsense", person, ""); r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/gif" {
		t.Fatalf("a pixel of no token: %d", r.StatusCode)
	}
	svc.Close() // writes the batch
	if _, err := s.Events().Roll(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	counts, err := s.Events().Counts(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.EventCount{
		{Activity: "mail", Type: "click", Total: 1, Unique: 1},
		{Activity: "mail", Type: "click", Machine: true, Total: 1, Unique: 1},
		{Activity: "mail", Type: "open", Total: 1, Unique: 1},
		{Activity: "mail", Type: "open", Machine: true, Total: 1, Unique: 1},
	}
	if !reflect.DeepEqual(counts, want) {
		t.Fatalf("events:\n got %+v\nwant %+v", counts, want)
	}
}

// TestEmailWebhook: the generic webhook records a signed report (a hard
// bounce suppresses its address); an unsigned or altered one is refused
// with 401 and changes nothing; a webhook this server has no secret or
// key for answers 404.
func TestEmailWebhook(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "duckdb")
	if _, err := storetest.DB(s).Exec(`INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, dimension, recipient, address, status, attempts, created_at, updated_at, seq)
		VALUES ('1:mail:1', 1, 'mail', 'email', 'customers', '{"customer_id":1}', 'gone@example.com', 'sent', 1, now(), now(), 1)`); err != nil {
		t.Fatal(err)
	}
	secret := []byte("webhook-secret")
	svc := service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(newAPI(t, api.Config{Service: svc, Token: token, Log: slog.New(slog.DiscardHandler), Webhooks: api.Webhooks{Secret: secret}}))
	t.Cleanup(srv.Close)
	body := `{"events": [{"type": "bounce", "hard": true, "message_id": "1:mail:1", "status": "5.1.1", "diagnostic": "no such user"}]}`
	post := func(path, body, sig string) int {
		t.Helper()
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.Header.Set("X-Fanfare-Timestamp", ts)
		if sig == "" {
			m := hmac.New(sha256.New, secret)
			m.Write([]byte(ts + "." + body))
			sig = "v1=" + hex.EncodeToString(m.Sum(nil))
		}
		req.Header.Set("X-Fanfare-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	suppressed := func() int {
		list, err := delivery.Suppressions(context.Background(), s, "email", "", false, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	if code := post("/callbacks/email/webhook", body, "v1=00"); code != http.StatusUnauthorized || suppressed() != 0 {
		t.Fatalf("a forged webhook: %d, %d suppressed", code, suppressed())
	}
	if code := post("/callbacks/email/ses", body, ""); code != http.StatusNotFound {
		t.Fatalf("a webhook with no key configured: %d", code)
	}
	if code := post("/callbacks/email/webhook", body, ""); code != http.StatusOK || suppressed() != 1 {
		t.Fatalf("a signed webhook: %d, %d suppressed", code, suppressed())
	}
}

// TestTrackingRoutesAnswerAsTheMux: the tracking routes, found before the
// mux (trackRoute), answer what the mux's own patterns would — other
// methods, an empty token, an escaped slash, another letter — and are
// observed (metrics, logs) under their patterns.
func TestTrackingRoutesAnswerAsTheMux(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "duckdb")
	svc := service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { _ = svc.Close() })
	seen := &routes{}
	srv := httptest.NewServer(newAPI(t, api.Config{Service: svc, Token: token, Log: slog.New(slog.DiscardHandler), Requests: seen}))
	t.Cleanup(srv.Close)
	cases := []struct {
		method, path string
		code         int
		route        string
	}{
		{"GET", "/t/o/abc", http.StatusOK, "GET /t/o/{token}"},
		{"HEAD", "/t/o/abc", http.StatusOK, "GET /t/o/{token}"},
		{"GET", "/t/o/a%2Fb", http.StatusOK, "GET /t/o/{token}"}, // one segment to the mux
		{"GET", "/t/c/abc", http.StatusNotFound, "GET /t/c/{token}"},
		// The rest is the mux's: its catch-all (the console) answers.
		{"POST", "/t/o/abc", http.StatusMethodNotAllowed, "/"},
		{"GET", "/t/o/", http.StatusNotFound, "/"},
		{"GET", "/t/o/a/b", http.StatusNotFound, "/"},
		{"GET", "/t/x/abc", http.StatusNotFound, "/"},
		{"GET", "/t/oo/abc", http.StatusNotFound, "/"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		gif := resp.Header.Get("Content-Type") == "image/gif"
		if resp.StatusCode != c.code || gif != (c.code == http.StatusOK) {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), c.code)
		}
		if got := seen.last(); got != c.route {
			t.Errorf("%s %s observed as route %q, want %q", c.method, c.path, got, c.route)
		}
	}
}

// routes is an api.RequestObserver keeping the last route observed.
type routes struct {
	mu    sync.Mutex
	route string
}

func (r *routes) Request(route string, _ int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.route = route
}

func (r *routes) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.route
}

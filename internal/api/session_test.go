package api_test

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// browser makes requests as the console does: with the session cookie it
// holds, and the headers a browser adds of where the request comes from.
type browser struct {
	srv    *httptest.Server
	client *http.Client
	cookie *http.Cookie
	// origin is the page's Origin ("" for the server's own when site is
	// set, else none); site is its Sec-Fetch-Site ("" sends none: an
	// older browser, or with no origin a client that is not a browser).
	origin, site string
	bearer       string
}

// answer is a response, its body read.
type answer struct {
	code   int
	body   string
	cookie *http.Cookie // the session cookie it set, if any
}

func newBrowser(srv *httptest.Server) *browser {
	return &browser{srv: srv, client: srv.Client(), site: "same-origin"}
}

func (b *browser) do(t *testing.T, method, path, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	if b.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+b.bearer)
	}
	if b.site != "" {
		req.Header.Set("Sec-Fetch-Site", b.site)
	}
	if b.origin != "" || b.site != "" {
		req.Header.Set("Origin", cmp.Or(b.origin, b.srv.URL))
	}
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, body: string(raw)}
	for _, c := range resp.Cookies() {
		if c.Name == api.SessionCookie {
			a.cookie = c
		}
	}
	return a
}

// signIn signs the browser in with tok and keeps the cookie.
func (b *browser) signIn(t *testing.T, tok string) service.SessionInfo {
	t.Helper()
	a := b.do(t, "POST", "/api/session", `{"token": "`+tok+`"}`)
	var sess service.SessionInfo
	if a.code != http.StatusOK || a.cookie == nil || json.Unmarshal([]byte(a.body), &sess) != nil {
		t.Fatalf("sign in: %d %s (cookie %v)", a.code, a.body, a.cookie)
	}
	b.cookie = a.cookie
	return sess
}

// sessionServer serves the API on s with a store token, ci, and returns
// the token.
func sessionServer(t *testing.T, s *store.Store, cfg api.Config, tls bool) (*httptest.Server, string) {
	t.Helper()
	tok, err := keyring.NewTokens(s).Create(context.Background(), "ci")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Service == nil {
		cfg.Service = service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler)})
	}
	cfg.Log = slog.New(slog.DiscardHandler)
	h := newAPI(t, cfg)
	srv := httptest.NewUnstartedServer(h)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, tok
}

// TestSession signs the console in with an API token and checks the
// cookie: it works on reads and writes from the server's own origin,
// is refused on writes from another origin (a bearer token is not),
// and answers 401 once signed out, replayed or not.
func TestSession(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv, tok := sessionServer(t, s, api.Config{}, false)
		b := newBrowser(srv)

		// A bad token: 401, no cookie, and unknown or revoked alike.
		revoked, err := keyring.NewTokens(s).Create(context.Background(), "gone")
		if err != nil {
			t.Fatal(err)
		}
		if err := keyring.NewTokens(s).Revoke(context.Background(), "gone"); err != nil {
			t.Fatal(err)
		}
		var refusals []string
		for _, bad := range []string{"ff_0123456789abcdef0123456789abcdef0123456789abcdef", revoked} {
			a := b.do(t, "POST", "/api/session", `{"token": "`+bad+`"}`)
			if a.code != http.StatusUnauthorized || a.cookie != nil {
				t.Fatalf("sign in with a bad token: %d %s (cookie %v)", a.code, a.body, a.cookie)
			}
			refusals = append(refusals, a.body)
		}
		if refusals[0] != refusals[1] {
			t.Errorf("an unknown and a revoked token are refused apart:\n%s\n%s", refusals[0], refusals[1])
		}
		if a := b.do(t, "GET", "/api/session", ""); a.code != http.StatusUnauthorized {
			t.Errorf("session before sign-in: %d %s", a.code, a.body)
		}

		sess := b.signIn(t, tok)
		c := b.cookie
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
			t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure over plain HTTP", c)
		}
		if sess.Subject != "token:ci" || time.Until(sess.ExpiresAt) < 11*time.Hour || time.Until(sess.MaxExpiresAt) < 6*24*time.Hour {
			t.Errorf("session %+v", sess)
		}
		if a := b.do(t, "GET", "/api/session", ""); a.code != http.StatusOK || !strings.Contains(a.body, `"subject": "token:ci"`) {
			t.Errorf("session: %d %s", a.code, a.body)
		}
		if a := b.do(t, "GET", "/api/tokens", ""); a.code != http.StatusOK || !strings.Contains(a.body, `"name": "ci"`) {
			t.Fatalf("a read with the cookie: %d %s", a.code, a.body)
		}
		if a := b.do(t, "POST", "/api/tokens", `{"name": "made-in-console"}`); a.code != http.StatusCreated {
			t.Fatalf("a write with the cookie, same origin: %d %s", a.code, a.body)
		}

		// Another site's page makes the browser send the cookie: refused.
		evil := *b
		evil.origin, evil.site = "https://evil.example", "cross-site"
		if a := evil.do(t, "POST", "/api/tokens", `{"name": "planted"}`); a.code != http.StatusForbidden || !strings.Contains(a.body, `"forbidden"`) {
			t.Errorf("a cross-site write with the cookie: %d %s", a.code, a.body)
		}
		if a := evil.do(t, "DELETE", "/api/session", ""); a.code != http.StatusForbidden {
			t.Errorf("a cross-site sign-out: %d %s", a.code, a.body)
		}
		// Without Sec-Fetch-Site, an older browser still names the origin.
		evil.site = ""
		if a := evil.do(t, "POST", "/api/tokens", `{"name": "planted"}`); a.code != http.StatusForbidden {
			t.Errorf("a write with the cookie from another Origin: %d %s", a.code, a.body)
		}
		if a := evil.do(t, "GET", "/api/tokens", ""); a.code != http.StatusOK || strings.Contains(a.body, "planted") {
			t.Errorf("a cross-site read (safe) with the cookie: %d %s", a.code, a.body)
		}
		// A bearer token is bound to no browser: no check of origin.
		script := &browser{srv: srv, client: srv.Client(), origin: "https://elsewhere.example", site: "cross-site", bearer: tok}
		if a := script.do(t, "POST", "/api/tokens", `{"name": "by-bearer"}`); a.code != http.StatusCreated {
			t.Errorf("a cross-site write with a bearer token: %d %s", a.code, a.body)
		}
		// Nor has a client that is not a browser (no Origin, no
		// Sec-Fetch-Site): it could send any header it likes.
		plain := *b
		plain.site = ""
		if a := plain.do(t, "POST", "/api/tokens", `{"name": "by-script"}`); a.code != http.StatusCreated {
			t.Errorf("a write with the cookie and no browser headers: %d %s", a.code, a.body)
		}

		// Sign-out: the cookie is cleared, and replayed it answers 401.
		a := b.do(t, "DELETE", "/api/session", "")
		if a.code != http.StatusNoContent || a.cookie == nil || a.cookie.MaxAge >= 0 {
			t.Fatalf("sign out: %d %s (cookie %+v)", a.code, a.body, a.cookie)
		}
		for _, req := range [][2]string{{"GET", "/api/tokens"}, {"POST", "/api/tokens"}, {"GET", "/api/session"}} {
			body := ""
			if req[0] == "POST" {
				body = `{"name": "after"}`
			}
			if a := b.do(t, req[0], req[1], body); a.code != http.StatusUnauthorized {
				t.Errorf("%s %s with the old cookie: %d %s", req[0], req[1], a.code, a.body)
			}
		}
		if a := b.do(t, "DELETE", "/api/session", ""); a.code != http.StatusNoContent {
			t.Errorf("sign out twice: %d %s", a.code, a.body)
		}
		// A forged cookie is no better.
		b.cookie = &http.Cookie{Name: api.SessionCookie, Value: "k00000000.forged"}
		if a := b.do(t, "GET", "/api/tokens", ""); a.code != http.StatusUnauthorized {
			t.Errorf("a forged cookie: %d %s", a.code, a.body)
		}
	})
}

// TestSessionCookieSecure checks that the cookie is Secure when the
// browser reaches the server over TLS: the request came over TLS, or the
// public URL is https (a proxy in front ends TLS).
func TestSessionCookieSecure(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "duckdb")
	for _, tc := range []struct {
		name      string
		publicURL string
		tls       bool
		secure    bool
	}{
		{name: "plain", publicURL: "http://127.0.0.1:8080", secure: false},
		{name: "tls", tls: true, secure: true},
		{name: "https public URL", publicURL: "https://fanfare.example.com", secure: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler)})
			srv := httptest.NewUnstartedServer(newAPI(t, api.Config{Service: svc, PublicURL: tc.publicURL, Log: slog.New(slog.DiscardHandler)}))
			if tc.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			tok, err := keyring.NewTokens(s).Create(context.Background(), strings.ReplaceAll(tc.name, " ", "-"))
			if err != nil {
				t.Fatal(err)
			}
			b := newBrowser(srv)
			b.signIn(t, tok)
			if b.cookie.Secure != tc.secure {
				t.Errorf("Secure = %v, want %v", b.cookie.Secure, tc.secure)
			}
			out := b.do(t, "DELETE", "/api/session", "")
			if out.cookie == nil || out.cookie.Secure != tc.secure {
				t.Errorf("the clearing cookie: %+v, want Secure %v", out.cookie, tc.secure)
			}
		})
	}
}

// TestSessionExpires checks that a session ends when unused for its idle
// time, and at its maximum age however used, then answers 401.
func TestSessionExpires(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		now := time.Now()
		clock := func() time.Time { return now }
		ring := keyring.New(s)
		sessions := keyring.NewSessions(s, ring)
		sessions.Now, sessions.Idle, sessions.MaxAge = clock, time.Hour, 90*time.Minute
		svc := service.New(service.Config{Store: s, Keys: ring, Sessions: sessions, Log: slog.New(slog.DiscardHandler)})
		srv, tok := sessionServer(t, s, api.Config{Service: svc}, false)

		b := newBrowser(srv)
		b.signIn(t, tok)
		now = now.Add(59 * time.Minute)
		if a := b.do(t, "GET", "/api/tokens", ""); a.code != http.StatusOK {
			t.Fatalf("used within its idle hour: %d %s", a.code, a.body)
		}
		now = now.Add(59 * time.Minute) // idle 59 min again, but 1 h 58 min old
		a := b.do(t, "GET", "/api/tokens", "")
		if a.code != http.StatusUnauthorized || a.cookie == nil || a.cookie.MaxAge >= 0 {
			t.Errorf("past its maximum age: %d %s (cookie %+v)", a.code, a.body, a.cookie)
		}

		b.signIn(t, tok)
		now = now.Add(61 * time.Minute)
		if a := b.do(t, "POST", "/api/tokens", `{"name": "late"}`); a.code != http.StatusUnauthorized {
			t.Errorf("idle for over an hour: %d %s", a.code, a.body)
		}
	})
}

// TestSessionSharedByNodes checks that a session opened on one node is
// accepted by another sharing the store, and that a sign-out on either
// ends it on both.
func TestSessionSharedByNodes(t *testing.T) {
	t.Parallel()
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			cfg := storetest.Config(t, backend)
			a := openNode(t, cfg)
			tok, err := keyring.NewTokens(a.s).Create(context.Background(), "ci")
			if err != nil {
				t.Fatal(err)
			}
			ba := newBrowser(a.srv)
			ba.signIn(t, tok)
			if backend == "duckdb" {
				a.close() // one process owns the file: B opens it after A
			}
			b := openNode(t, cfg)
			bb := newBrowser(b.srv)
			bb.cookie = ba.cookie
			if out := bb.do(t, "GET", "/api/tokens", ""); out.code != http.StatusOK {
				t.Fatalf("B with A's session: %d %s", out.code, out.body)
			}
			if out := bb.do(t, "POST", "/api/tokens", `{"name": "from-b"}`); out.code != http.StatusCreated {
				t.Fatalf("a write on B with A's session: %d %s", out.code, out.body)
			}
			if out := bb.do(t, "DELETE", "/api/session", ""); out.code != http.StatusNoContent {
				t.Fatalf("sign out on B: %d %s", out.code, out.body)
			}
			if out := bb.do(t, "GET", "/api/tokens", ""); out.code != http.StatusUnauthorized {
				t.Errorf("B after the sign-out: %d %s", out.code, out.body)
			}
			if backend == "postgres" {
				if out := ba.do(t, "GET", "/api/tokens", ""); out.code != http.StatusUnauthorized {
					t.Errorf("A after the sign-out on B: %d %s", out.code, out.body)
				}
			}
		})
	}
}

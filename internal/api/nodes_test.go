package api_test

import (
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
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// node is one Fanfare node's API over its own handle on a shared store.
type node struct {
	s   *store.Store
	srv *httptest.Server
}

func openNode(t *testing.T, cfg store.Config) *node {
	t.Helper()
	s, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newAPI(t, api.Config{Service: service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler)}), Log: slog.New(slog.DiscardHandler)}))
	n := &node{s: s, srv: srv}
	t.Cleanup(n.close)
	return n
}

func (n *node) close() {
	n.srv.Close()
	n.s.Close()
}

// do calls the node with a bearer token and returns the status and body.
func (n *node) do(t *testing.T, method, path, tok, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, n.srv.URL+path, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestNodesShareTokensAndLinks opens two nodes on one store — at once on
// PostgreSQL (one schema), one after the other on the embedded file —
// and checks that a token and an unsubscribe link issued by the first are
// accepted by the second, through a key rotation, until the key is
// retired and the token revoked.
func TestNodesShareTokensAndLinks(t *testing.T) {
	t.Parallel()
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			cfg := storetest.Config(t, backend)
			a := openNode(t, cfg)
			admin, err := keyring.NewTokens(a.s).Create(ctx, "admin")
			if err != nil {
				t.Fatal(err)
			}
			code, body := a.do(t, "POST", "/api/tokens", admin, `{"name": "ci"}`)
			var created service.TokenCreated
			if code != http.StatusCreated || json.Unmarshal([]byte(body), &created) != nil || created.Token == "" {
				t.Fatalf("create token on A: %d %s", code, body)
			}
			if code, body := a.do(t, "POST", "/api/tokens", admin, `{"name": "ci"}`); code != http.StatusConflict {
				t.Errorf("a second ci: %d %s", code, body)
			}
			u := delivery.Unsubscribe{Dimension: "customers", ProfileKey: `{"customer_id":8}`, Channel: "email", MessageID: "1:mail:8"}
			link, err := delivery.NewLinks(keyring.New(a.s)).Token(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			if backend == "duckdb" {
				a.close() // one process owns the file: B opens it after A
			}

			b := openNode(t, cfg)
			if code, body := b.do(t, "GET", "/api/tokens", created.Token, ""); code != http.StatusOK || !strings.Contains(body, `"name": "ci"`) || strings.Contains(body, created.Token) {
				t.Fatalf("B with A's token: %d %s", code, body)
			}
			if code, _ := b.do(t, "GET", "/api/tokens", created.Token+"x", ""); code != http.StatusUnauthorized {
				t.Errorf("B with an altered token: %d", code)
			}
			if code, body := b.do(t, "GET", "/u/"+link, "", ""); code != http.StatusOK || !strings.Contains(body, "<form") {
				t.Fatalf("B with A's link: %d %s", code, body)
			}

			// A rotation on B: A's link still works, new links take the
			// new key; retiring A's key refuses its link.
			code, body = b.do(t, "POST", "/api/keys/rotate", created.Token, "")
			var keys service.KeyList
			if code != http.StatusOK || json.Unmarshal([]byte(body), &keys) != nil || len(keys.Keys) != 2 || strings.HasPrefix(link, keys.Current+".") {
				t.Fatalf("rotate on B: %d %s", code, body)
			}
			if strings.Contains(body, "secret") {
				t.Errorf("the key list shows secrets: %s", body)
			}
			if code, _ := b.do(t, "GET", "/u/"+link, "", ""); code != http.StatusOK {
				t.Errorf("A's link after a rotation: %d", code)
			}
			old := keys.Keys[0].ID
			if code, body := b.do(t, "POST", "/api/keys/"+keys.Current+"/retire", created.Token, ""); code != http.StatusConflict {
				t.Errorf("retire the current key: %d %s", code, body)
			}
			if code, body := b.do(t, "POST", "/u/"+link, "", ""); code != http.StatusOK || !strings.Contains(body, "Unsubscribed") {
				t.Errorf("unsubscribe on B with A's link: %d %s", code, body)
			}
			// The profile opts in again: the link replayed changes nothing.
			if err := delivery.SetConsent(ctx, b.s, u.Dimension, u.ProfileKey, u.Channel, delivery.OptIn, "api", time.Now().Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			if code, body := b.do(t, "POST", "/u/"+link, "", ""); code != http.StatusOK || !strings.Contains(body, "Subscribed again") {
				t.Errorf("replayed after the opt-in: %d %s", code, body)
			}
			if c, _ := delivery.ConsentOf(ctx, b.s, u.Dimension, u.ProfileKey); len(c.Consent) != 1 || c.Consent[0].Status != delivery.OptIn {
				t.Errorf("consent after the replay: %+v", c)
			}
			if code, body := b.do(t, "POST", "/api/keys/"+old+"/retire", created.Token, ""); code != http.StatusOK {
				t.Fatalf("retire %s: %d %s", old, code, body)
			}
			if code, _ := b.do(t, "GET", "/u/"+link, "", ""); code != http.StatusBadRequest {
				t.Errorf("A's link once its key is retired: %d", code)
			}

			// Revoked on B, the token is refused by B, and by A (which
			// never checked it, so holds no copy).
			if code, body := b.do(t, "DELETE", "/api/tokens/ci", admin, ""); code != http.StatusNoContent {
				t.Fatalf("revoke on B: %d %s", code, body)
			}
			if code, _ := b.do(t, "GET", "/api/tokens", created.Token, ""); code != http.StatusUnauthorized {
				t.Errorf("B with a revoked token: %d", code)
			}
			if backend == "postgres" {
				if code, _ := a.do(t, "GET", "/api/tokens", created.Token, ""); code != http.StatusUnauthorized {
					t.Errorf("A with a token revoked on B: %d", code)
				}
			}
			if code, body := b.do(t, "DELETE", "/api/tokens/ci", admin, ""); code != http.StatusNotFound {
				t.Errorf("revoke twice: %d %s", code, body)
			}
		})
	}
}

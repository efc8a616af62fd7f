package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestUnsubscribeLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		key := []byte("a secret key of thirty-two bytes")
		srv := httptest.NewServer(api.New(api.Config{Store: s, Token: token, UnsubscribeKey: key, Log: slog.New(slog.DiscardHandler)}))
		defer srv.Close()
		signer := delivery.Signer{Key: key}
		tok := signer.Token(delivery.Unsubscribe{Dimension: "customers", ProfileKey: `{"customer_id":8}`, Channel: "email", MessageID: "1:mail:8"})
		get := func(path string) (int, string) {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		post := func(path string) int {
			resp, err := http.Post(srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		consent := func() string {
			var st string
			s.DB.QueryRow(`SELECT status FROM ff_consent WHERE dimension = 'customers' AND profile_key = '{"customer_id":8}' AND channel = 'email'`).Scan(&st)
			return st
		}
		// GET only asks: link scanners must not unsubscribe anyone.
		if code, body := get("/u/" + tok); code != http.StatusOK || !strings.Contains(body, "<form method=\"post\">") || consent() != "" {
			t.Fatalf("GET: %d %q consent=%q", code, body, consent())
		}
		if code := post("/u/" + tok); code != http.StatusOK || consent() != delivery.OptOut {
			t.Fatalf("one-click POST: %d consent=%q", code, consent())
		}
		forged := tok[:len(tok)-3] + "abc"
		if code := post("/u/" + forged); code != http.StatusBadRequest {
			t.Fatalf("forged link: %d", code)
		}
	})
}

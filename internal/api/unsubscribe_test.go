package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestUnsubscribeLinks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv := httptest.NewServer(newAPI(t, api.Config{Service: service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler)}), Token: token, Log: slog.New(slog.DiscardHandler)}))
		defer srv.Close()
		tok, err := delivery.NewLinks(keyring.New(s)).Token(context.Background(), delivery.Unsubscribe{Dimension: "customers", ProfileKey: `{"customer_id":8}`, Channel: "email", MessageID: "1:mail:8"})
		if err != nil {
			t.Fatal(err)
		}
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
			storetest.DB(s).QueryRow(`SELECT status FROM ff_consent WHERE dimension = 'customers' AND profile_key = '{"customer_id":8}' AND channel = 'email'`).Scan(&st)
			return st
		}
		// GET only asks: link scanners must not unsubscribe anyone.
		if code, body := get("/u/" + tok); code != http.StatusOK || !strings.Contains(body, "<form method=\"post\">") || consent() != "" {
			t.Fatalf("GET: %d %q consent=%q", code, body, consent())
		}
		if code := post("/u/" + tok); code != http.StatusOK || consent() != delivery.OptOut {
			t.Fatalf("one-click POST: %d consent=%q", code, consent())
		}
		// The page speaks the browser's language, of those it has.
		for _, tc := range []struct{ method, accept, want string }{
			{"GET", "fr-CH, fr;q=0.9, en;q=0.8", `<html lang="fr">`},
			{"GET", "fr-CH, fr;q=0.9, en;q=0.8", "Ne plus recevoir ces messages ?"},
			{"POST", "de-AT", "Sie erhalten diese Nachrichten nicht mehr."},
			{"GET", "es", "Darme de baja"},
			{"GET", "pt-BR, ja", "Stop receiving these messages?"},
			{"GET", "", `<html lang="en">`},
		} {
			req, _ := http.NewRequest(tc.method, srv.URL+"/u/"+tok, strings.NewReader("List-Unsubscribe=One-Click"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.accept != "" {
				req.Header.Set("Accept-Language", tc.accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), tc.want) {
				t.Errorf("%s with Accept-Language %q: %d, want %q in\n%s", tc.method, tc.accept, resp.StatusCode, tc.want, b)
			}
		}
		forged := tok[:len(tok)-3] + "abc"
		if code := post("/u/" + forged); code != http.StatusBadRequest {
			t.Fatalf("forged link: %d", code)
		}
	})
}

package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestConsentImportEndpoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		model := "entities:\n  customers:\n    key: customer_id\n    attributes:\n      customer_id: integer\n      email: string\n    targeting: {email: email}\n"
		if _, err := schema.Apply(context.Background(), s, []byte(model), schema.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(api.New(api.Config{Store: s, Token: token, Log: slog.New(slog.DiscardHandler)}))
		defer srv.Close()
		post := func(auth string) *http.Response {
			req, _ := http.NewRequest("POST", srv.URL+"/api/consent/import?dimension=customers&source=crm", strings.NewReader("customer_id,channel,status\n7,email,opt_out\n8,push,never\n"))
			req.Header.Set("Authorization", auth)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		if resp := post("Bearer wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("without the token: %d", resp.StatusCode)
		}
		resp := post("Bearer " + token)
		defer resp.Body.Close()
		var res delivery.ConsentImport
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("import: %d %v", resp.StatusCode, err)
		}
		if res.Rows != 2 || res.Accepted != 1 || len(res.Rejects) != 1 || res.Rejects[0].Line != 3 || res.Rejects[0].Column != "status" {
			t.Fatalf("import = %+v", res)
		}
		var status, source string
		s.DB.QueryRow(`SELECT status, source FROM ff_consent WHERE profile_key = '{"customer_id":7}' AND channel = 'email'`).Scan(&status, &source)
		if status != "opt_out" || source != "crm" {
			t.Fatalf("recorded %q from %q", status, source)
		}
	})
}

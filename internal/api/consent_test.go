package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestConsentImportEndpoint(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		model := "entities:\n  customers:\n    key: customer_id\n    attributes:\n      customer_id: integer\n      email: string\n    targeting: {email: email}\n"
		if _, err := schema.Apply(context.Background(), s, []byte(model), schema.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(newAPI(t, api.Config{Service: service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler)}), Token: token, Log: slog.New(slog.DiscardHandler)}))
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
		storetest.DB(s).QueryRow(`SELECT status, source FROM ff_consent WHERE profile_key = '{"customer_id":7}' AND channel = 'email'`).Scan(&status, &source)
		if status != "opt_out" || source != "crm" {
			t.Fatalf("recorded %q from %q", status, source)
		}
	})
}

// TestConsentAndSuppressionsOverHTTP records consent and suppressions and
// reads them back. A key given as text for an integer key attribute names
// the profile as the outbox does, so the consent applies to its messages.
func TestConsentAndSuppressionsOverHTTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv := setup(t, s)
		if code, out := call(t, srv, "POST", "/api/model", shopModel, true); code != http.StatusOK {
			t.Fatalf("model: %d %v", code, out)
		}
		for _, body := range []string{
			`{"dimension": "customers", "key": ["8"], "channel": "email", "status": "opt_out"}`,
			`{"dimension": "customers", "key": [8], "channel": "sms", "status": "opt_in", "source": "crm"}`,
		} {
			if code, out := call(t, srv, "PUT", "/api/consent", body, true); code != http.StatusOK || out["profile_key"] != `{"customer_id":8}` {
				t.Fatalf("PUT %s: %d %v", body, code, out)
			}
		}
		for body, want := range map[string]string{
			`{"dimension": "customers", "key": ["eight"], "channel": "email", "status": "opt_out"}`: "customer_id must be an integer",
			`{"dimension": "customers", "key": [8], "channel": "fax", "status": "opt_out"}`:         "want email, sms or push",
			`{"dimension": "customers", "key": [8, 9], "channel": "email", "status": "opt_out"}`:    "one value per key attribute",
		} {
			if code, out := call(t, srv, "PUT", "/api/consent", body, true); code != http.StatusBadRequest || !strings.Contains(toJSON(t, out), want) {
				t.Errorf("PUT %s: %d %v, want %q", body, code, out, want)
			}
		}
		code, out := call(t, srv, "GET", "/api/consent?dimension=customers&key=8", "", true)
		got := []string{}
		for _, c := range out["consent"].([]any) {
			c := c.(map[string]any)
			got = append(got, fmt.Sprint(c["channel"], " ", c["status"], " ", c["source"]))
		}
		if code != http.StatusOK || strings.Join(got, ", ") != "email opt_out api, sms opt_in crm" {
			t.Fatalf("GET consent: %d %v", code, out)
		}
		if code, out := call(t, srv, "GET", "/api/consent?dimension=customers&key=9", "", true); code != http.StatusOK || len(out["consent"].([]any)) != 0 {
			t.Fatalf("a profile without consent: %d %v", code, out)
		}

		for _, a := range []string{"Cy@Example.com", "ann@example.com", "bob@example.com"} {
			body := `{"channel": "email", "address": "` + a + `", "reason": "complaint"}`
			if code, out := call(t, srv, "POST", "/api/suppressions", body, true); code != http.StatusOK {
				t.Fatalf("POST %s: %d %v", body, code, out)
			}
		}
		page := func(query string) string {
			t.Helper()
			code, out := call(t, srv, "GET", "/api/suppressions?"+query, "", true)
			if code != http.StatusOK {
				t.Fatalf("GET %s: %d %v", query, code, out)
			}
			var list []string
			for _, x := range out["suppressions"].([]any) {
				list = append(list, x.(map[string]any)["address"].(string))
			}
			return strings.Join(list, " ")
		}
		if got := page("channel=email&limit=2"); got != "ann@example.com bob@example.com" {
			t.Errorf("first page: %q", got)
		}
		if got := page("channel=email&limit=2&after=bob@example.com"); got != "cy@example.com" {
			t.Errorf("second page: %q", got)
		}
		if got := page("channel=email&address=CY@example.com"); got != "cy@example.com" {
			t.Errorf("lookup: %q", got)
		}
		if code, _ := call(t, srv, "DELETE", "/api/suppressions", `{"channel": "email", "address": "cy@example.com"}`, true); code != http.StatusNoContent {
			t.Fatalf("DELETE: %d", code)
		}
		if got := page("channel=email&address=cy@example.com"); got != "" {
			t.Errorf("lookup after DELETE: %q", got)
		}
		for _, q := range []string{"channel=fax", "channel=email&limit=0", "channel=email&limit=x"} {
			if code, _ := call(t, srv, "GET", "/api/suppressions?"+q, "", true); code != http.StatusBadRequest {
				t.Errorf("GET %s: %d, want 400", q, code)
			}
		}
		if code, _ := call(t, srv, "GET", "/api/suppressions?channel=email", "", false); code != http.StatusUnauthorized {
			t.Errorf("without the token: %d", code)
		}
	})
}

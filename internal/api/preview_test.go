package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const mailCampaign = `name: hello
dimension: customers
variables: {code: HELLO5}
activities:
  start: {type: start}
  fr: {type: build_audience, query: 'country = "FR"'}
  mail:
    type: email
    from: 'Shop <shop@example.com>'
    subject: 'Hello {{ profile.country }}'
    html: '<p>{{ profile.purchases | size }} purchases, code {{ vars.code }}, spent {{ target.spent | default: "?" }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'
transitions:
  - start -> fr
  - fr -> mail
`

func TestPreviewAndProofOverHTTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		// Without providers, proofs are refused; previews work.
		bare := setup(t, s)
		sb, err := delivery.NewSandbox(s, channel.Email)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(newAPI(t, api.Config{Service: service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler), Providers: map[string]channel.Provider{channel.Email: sb}}), Token: token, Log: slog.New(slog.DiscardHandler)}))
		t.Cleanup(srv.Close)
		call(t, srv, "POST", "/api/model", shopModel, true)
		upload(t, srv, "/api/imports?entity=customers&name=c.csv", "customer_id,email,country\n1,a@example.com,FR\n2,b@example.com,DE\n")
		upload(t, srv, "/api/imports?entity=purchases&name=p.csv", "purchase_id,customer_id,amount\n1,1,10\n2,1,20\n")
		if code, out := call(t, srv, "POST", "/api/campaigns", mailCampaign, true); code != http.StatusOK {
			t.Fatalf("save: %d %v", code, out)
		}
		const base = "/api/campaigns/hello/activities/mail/"

		code, out := call(t, bare, "POST", base+"preview", `{"key": [1]}`, true)
		email, _ := out["email"].(map[string]any)
		if code != http.StatusOK || out["to"] != "a@example.com" || email["subject"] != "Hello FR" ||
			!strings.Contains(email["html"].(string), "2 purchases, code HELLO5, spent ?") || !strings.Contains(email["html"].(string), delivery.PreviewUnsubscribeURL) {
			t.Fatalf("preview: %d %v", code, out)
		}
		for _, tc := range []struct {
			name, path, body string
			code             int
		}{
			{"unknown profile", base + "preview", `{"key": [42]}`, http.StatusNotFound},
			{"unknown campaign", "/api/campaigns/nope/activities/mail/preview", `{"key": [1]}`, http.StatusNotFound},
			{"unknown activity", "/api/campaigns/hello/activities/nope/preview", `{"key": [1]}`, http.StatusNotFound},
			{"bad key", base + "preview", `{"key": [1, 2]}`, http.StatusBadRequest},
			{"bad body", base + "preview", `{"key": `, http.StatusBadRequest},
			{"no providers", base + "proof", `{"key": [1], "to": ["qa@example.com"]}`, http.StatusServiceUnavailable},
		} {
			t.Run(tc.name, func(t *testing.T) {
				target := srv
				if tc.name == "no providers" {
					target = bare
				}
				if code, out := call(t, target, "POST", tc.path, tc.body, true); code != tc.code || out["error"] == nil {
					t.Fatalf("%d %v, want %d", code, out, tc.code)
				}
			})
		}
		if code, _ := call(t, srv, "POST", base+"proof", `{"key": [1], "to": ["not an address"]}`, true); code != http.StatusBadRequest {
			t.Fatalf("invalid test address: %d", code)
		}
		if code, _ := call(t, srv, "POST", base+"proof", `{"key": [1]}`, true); code != http.StatusBadRequest {
			t.Fatalf("no test address: %d", code)
		}

		code, out = call(t, srv, "POST", base+"proof", `{"key": [1], "to": ["qa@example.com"]}`, true)
		results, _ := out["results"].([]any)
		if code != http.StatusOK || len(results) != 1 || results[0].(map[string]any)["outcome"] != "sent" {
			t.Fatalf("proof: %d %v", code, out)
		}
		id := results[0].(map[string]any)["id"].(string)
		code, out = call(t, srv, "GET", "/api/messages/"+id, "", true)
		if code != http.StatusOK || out["address"] != "qa@example.com" || !strings.Contains(toJSON(t, out["content"]), `"subject":"[Proof] Hello FR"`) {
			t.Fatalf("sandbox message: %d %v", code, out)
		}
		// Its HTML, for the console's sandboxed frame: nothing in it may
		// run or fetch anything.
		resp := get(t, srv, "/api/messages/"+id+"/html")
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "<p>2 purchases") || h.Get("Content-Type") != "text/html; charset=utf-8" ||
			!strings.HasPrefix(h.Get("Content-Security-Policy"), "default-src 'none'; img-src data:") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("message HTML: %d %v %q", resp.StatusCode, h, body)
		}
		// Remote images load only when asked for, and the policy still
		// allows no script.
		for _, tc := range []struct{ name, query, csp string }{
			{"asked for none", "?images=none", "default-src 'none'; img-src data:; style-src 'unsafe-inline'"},
			{"asked for remote images", "?images=remote", "default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline'"},
		} {
			resp := get(t, srv, "/api/messages/"+id+"/html"+tc.query)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "<p>2 purchases") || resp.Header.Get("Content-Security-Policy") != tc.csp {
				t.Fatalf("message HTML, %s: %d %v %q", tc.name, resp.StatusCode, resp.Header, body)
			}
		}
		if h.Get("Content-Security-Policy") != "default-src 'none'; img-src data:; style-src 'unsafe-inline'" {
			t.Fatalf("message HTML without images=: CSP %q", h.Get("Content-Security-Policy"))
		}
		if code, out := call(t, srv, "GET", "/api/messages/"+id+"/html?images=all", "", true); code != http.StatusBadRequest {
			t.Fatalf("images=all: %d %v", code, out)
		}
		if code, out := call(t, srv, "GET", "/api/messages/nonesuch/html", "", true); code != http.StatusNotFound {
			t.Fatalf("the HTML of an unknown message: %d %v", code, out)
		}
	})
}

// get sends an authorized GET and returns the answer, unread.
func get(t *testing.T, srv *httptest.Server, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

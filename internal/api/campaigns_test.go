package api_test

import (
	"context"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const campaignDoc = `name: frenchies
dimension: customers
activities:
  start: {type: start}
  fr: {type: build_audience, query: 'country = $country'}
  done: {type: end}
variables: {country: "FR"}
transitions:
  - start -> fr
  - fr -> done
`

func TestCampaignsOverHTTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv := setup(t, s)
		call(t, srv, "POST", "/api/model", shopModel, true)
		upload(t, srv, "/api/imports?entity=customers&name=c.csv", "customer_id,email,country\n1,a@example.com,FR\n2,b@example.com,FR\n3,c@example.com,DE\n")
		// Every problem at once, with activity, path and line.
		bad := strings.Replace(campaignDoc, "country = $country", "colour = 1", 1)
		code, out := call(t, srv, "POST", "/api/campaigns/validate", bad, true)
		problems, _ := out["error"].(map[string]any)["details"].([]any)
		if code != http.StatusBadRequest || len(problems) == 0 || problems[0].(map[string]any)["activity"] != "fr" {
			t.Fatalf("validate: %d %v", code, out)
		}
		if code, out = call(t, srv, "POST", "/api/campaigns", campaignDoc, true); code != http.StatusOK || out["latest_version"].(float64) != 1 {
			t.Fatalf("save: %d %v", code, out)
		}
		if code, _ = call(t, srv, "POST", "/api/campaigns/frenchies/runs", `{"mode": "live"}`, true); code != http.StatusConflict {
			t.Fatalf("live run of an unpublished campaign: %d", code)
		}
		if code, out = call(t, srv, "POST", "/api/campaigns/frenchies/publish", "", true); code != http.StatusOK || out["published_version"].(float64) != 1 {
			t.Fatalf("publish: %d %v", code, out)
		}
		// The external signal: a live run with parameters.
		code, out = call(t, srv, "POST", "/api/campaigns/frenchies/runs", `{"mode": "live", "params": {"country": "DE"}}`, true)
		if code != http.StatusCreated {
			t.Fatalf("start: %d %v", code, out)
		}
		id := int64(out["id"].(float64))
		eng := engine.New(engine.Config{Store: s})
		eng.Poll = 10 * time.Millisecond
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go eng.Run(ctx)
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, out = call(t, srv, "GET", "/api/runs/"+strconv.FormatInt(id, 10), "", true)
			if out["run"].(map[string]any)["status"] == "completed" || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		var frCount float64 = -1
		for _, tr := range out["transitions"].([]any) {
			m := tr.(map[string]any)
			if m["from"] == "fr" {
				frCount = m["count"].(float64)
			}
		}
		if frCount != 1 {
			t.Fatalf("run status: %v", out)
		}
		code, out = call(t, srv, "GET", "/api/runs/"+strconv.FormatInt(id, 10)+"/preview?activity=fr", "", true)
		if code != http.StatusOK || len(out["rows"].([]any)) != 1 {
			t.Fatalf("preview: %d %v", code, out)
		}
		code, out = call(t, srv, "GET", "/api/runs/"+strconv.FormatInt(id, 10)+"/breakdown?activity=fr&column=customer_id", "", true)
		if code != http.StatusOK || out["rows"] != 1.0 || len(out["values"].([]any)) != 1 || out["others"] != 0.0 {
			t.Fatalf("breakdown: %d %v", code, out)
		}
		for query, want := range map[string]int{"activity=fr&column=nonesuch": http.StatusNotFound, "activity=fr": http.StatusBadRequest, "activity=fr&column=customer_id&top=some": http.StatusBadRequest} {
			if code, out = call(t, srv, "GET", "/api/runs/"+strconv.FormatInt(id, 10)+"/breakdown?"+query, "", true); code != want {
				t.Errorf("breakdown?%s: %d %v, want %d", query, code, out, want)
			}
		}
		// The transition's rows kept as an audience: send to them, refine them.
		code, out = call(t, srv, "POST", "/api/runs/"+strconv.FormatInt(id, 10)+"/audience", `{"activity": "fr", "name": "fr_of_run"}`, true)
		if code != http.StatusCreated || out["count"] != 1.0 {
			t.Fatalf("save the transition's rows: %d %v", code, out)
		}
		if code, _ = call(t, srv, "POST", "/api/runs/"+strconv.FormatInt(id, 10)+"/pause", "", true); code != http.StatusConflict {
			t.Fatalf("pausing a completed run: %d", code)
		}
		if code, out = call(t, srv, "POST", "/api/campaigns/frenchies/duplicate", `{"name": "frenchies-2"}`, true); code != http.StatusCreated || out["status"] != "draft" {
			t.Fatalf("duplicate: %d %v", code, out)
		}
	})
}

// TestValidateShowsSMSLength: validating a campaign reports each SMS
// activity's length over the sample profile, in the encoding it travels in.
func TestValidateShowsSMSLength(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		srv := setup(t, s)
		model := `entities:
  customers:
    key: customer_id
    attributes: {customer_id: integer, first_name: string, phone: string}
    targeting: {sms: phone}
`
		if code, out := call(t, srv, "POST", "/api/model", model, true); code != http.StatusOK {
			t.Fatalf("model: %d %v", code, out)
		}
		doc := `name: texts
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'all'}
  short: {type: sms, text: 'Hi {{ profile.first_name }}, 20% off today. Reply STOP to opt out'}
  long: {type: sms, text: 'Hi {{ profile.first_name }} 🎉 the spring sale starts now, with offers on everything in store and online'}
transitions:
  - start -> all
  - all -> short
  - all -> long
`
		code, out := call(t, srv, "POST", "/api/campaigns/validate", doc, true)
		if code != http.StatusOK || out["valid"] != true || out["name"] != "texts" {
			t.Fatalf("validate: %d %v", code, out)
		}
		// "Hi First name, 20% off …": 51 GSM-7 characters, one segment; the
		// emoji makes the other UCS-2, 90 units: two segments of 67.
		want := []any{
			map[string]any{"activity": "short", "encoding": "GSM-7", "segments": 1.0, "characters": 51.0},
			map[string]any{"activity": "long", "encoding": "UCS-2", "segments": 2.0, "characters": 90.0},
		}
		if !reflect.DeepEqual(out["sms"], want) {
			t.Errorf("sms = %v, want %v", out["sms"], want)
		}
	})
}

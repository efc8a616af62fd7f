package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/sms"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestSMSReceiptsBecomeEvents: signed status callbacks, as the SMS API
// posts them, become events of their messages — delivered, bounce_hard
// for a number that cannot receive SMS (suppressed at once), bounce_soft
// for an unreachable handset (suppressed after the policy's count),
// failed for a message the carrier filtered — while an interim status
// and a retried callback add none. The run's report, its channels and
// its CSV agree with the events counted here.
func TestSMSReceiptsBecomeEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const authToken = "twilio-auth-token"
		const public = "https://fanfare.example.com"
		svc := service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler), PublicURL: public,
			SoftBounces: delivery.SoftBouncePolicy{Count: 2, Within: 24 * time.Hour}})
		srv := httptest.NewServer(newAPI(t, api.Config{Service: svc, Token: token, SMSAuthToken: authToken, PublicURL: public, Log: slog.New(slog.DiscardHandler)}))
		defer srv.Close()
		// A live run the server records without working it (no engine
		// workers): its SMS messages are written here as sent.
		do := func(method, path, body string, want int) map[string]any {
			t.Helper()
			code, out := call(t, srv, method, path, body, true)
			if code != want {
				t.Fatalf("%s %s: %d %v", method, path, code, out)
			}
			return out
		}
		do("POST", "/api/model", shopModel, http.StatusOK)
		do("POST", "/api/campaigns", campaignDoc, http.StatusOK)
		do("POST", "/api/campaigns/frenchies/publish", "", http.StatusOK)
		run := int64(do("POST", "/api/campaigns/frenchies/runs", `{"mode": "live"}`, http.StatusCreated)["id"].(float64))
		numbers := map[string]string{"1": "+33600000001", "2": "+33600000002", "3": "+33600000003", "4": "+33600000004", "5": "+33600000005", "6": "+33600000003"}
		for n, number := range numbers {
			_, err := storetest.DB(s).Exec(`INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, recipient, address, status, provider_id, created_at, seq)
				VALUES ($1, $2, 'text', 'sms', '{}', $3, 'sent', $4, $5, $6)`, "1:text:"+n, run, number, "SM"+n, time.Now(), len(n)*10+int(n[0]))
			if err != nil {
				t.Fatal(err)
			}
		}
		post := func(n, status, code string) {
			t.Helper()
			form := url.Values{"MessageSid": {"SM" + n}, "MessageStatus": {status}}
			if code != "" {
				form.Set("ErrorCode", code)
			}
			addr := sms.CallbackURL(public+"/callbacks/sms", "1:text:"+n, 0)
			req, _ := http.NewRequest("POST", srv.URL+strings.TrimPrefix(addr, public), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", sms.Signature(authToken, addr, form))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("callback %s %s %s: %d", n, status, code, resp.StatusCode)
			}
		}
		post("1", "sent", "")
		post("1", "delivered", "")
		post("1", "delivered", "") // retried
		post("2", "undelivered", "30005")
		post("3", "undelivered", "30003")
		post("3", "undelivered", "30003") // retried
		post("4", "failed", "30007")
		post("5", "sent", "")
		post("6", "undelivered", "30003") // the same number as 3: its second soft bounce

		// Counted here, from the events themselves.
		want := map[string][2]int64{} // type: events, messages
		rows, err := storetest.DB(s).Query(`SELECT type, count(*), count(DISTINCT message_id) FROM ff_events WHERE run_id = $1 GROUP BY type`, run)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var typ string
			var n, m int64
			if err := rows.Scan(&typ, &n, &m); err != nil {
				t.Fatal(err)
			}
			want[typ] = [2]int64{n, m}
		}
		rows.Close()
		if len(want) != 4 || want["delivered"] != [2]int64{1, 1} || want["bounce_hard"] != [2]int64{1, 1} || want["bounce_soft"] != [2]int64{2, 2} || want["failed"] != [2]int64{1, 1} {
			t.Fatalf("events (type: events, messages): %v", want)
		}
		var details string
		storetest.DB(s).QueryRow(`SELECT details FROM ff_events WHERE type = 'bounce_hard'`).Scan(&details)
		if !strings.Contains(details, `"status":"30005"`) || !strings.Contains(details, `"source":"sms"`) {
			t.Errorf("a hard bounce's details: %s", details)
		}

		sup, err := delivery.Suppressions(ctx, s, channel.SMS, "", false, 100)
		if err != nil {
			t.Fatal(err)
		}
		reasons := map[string]string{}
		for _, x := range sup {
			reasons[x.Address] = x.Reason
		}
		if len(reasons) != 2 || reasons["+33600000002"] != "hard bounce (sms): 30005 undelivered" ||
			!strings.HasPrefix(reasons["+33600000003"], "2 soft bounces in 24h0m0s (sms): 30003") {
			t.Errorf("suppressions: %v", reasons)
		}

		path := "/api/runs/" + strconv.FormatInt(run, 10) + "/report"
		var r delivery.Report
		if err := json.Unmarshal(body(t, srv, path), &r); err != nil || len(r.Activities) != 1 || len(r.Channels) != 1 {
			t.Fatalf("report: %+v, %v", r, err)
		}
		e, ch := r.Activities[0].Engagement, r.Channels[0]
		if e == nil || e.Delivered != want["delivered"][1] || e.BouncedHard != want["bounce_hard"][1] || e.BouncedSoft != want["bounce_soft"][1] || e.ReportedFailed != want["failed"][1] {
			t.Errorf("engagement: %+v", e)
		}
		if ch.Channel != "sms" || ch.Sent != 6 || ch.Delivered != 1 || ch.BouncedHard != 1 || ch.BouncedSoft != 2 || ch.ReportedFailed != 1 {
			t.Errorf("the sms channel: %+v", ch)
		}
		lines, err := csv.NewReader(bytes.NewReader(body(t, srv, path+"?format=csv"))).ReadAll()
		if err != nil || len(lines) != 2 {
			t.Fatalf("CSV: %v, %v", lines, err)
		}
		line := map[string]string{}
		for i, col := range lines[0] {
			line[col] = lines[1][i]
		}
		if line["delivered"] != "1" || line["bounced_hard"] != "1" || line["bounced_soft"] != "2" || line["reported_failed"] != "1" {
			t.Errorf("CSV line: %v", line)
		}
	})
}

// body gets path from the API and returns the answer's body, which must
// be 200.
func body(t *testing.T, srv *httptest.Server, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s %v", path, resp.StatusCode, b, err)
	}
	return b
}

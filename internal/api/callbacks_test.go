package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/channel/sms"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestSMSStatusCallbacks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		const authToken = "twilio-auth-token"
		const public = "https://fanfare.example.com"
		srv := httptest.NewServer(newAPI(t, api.Config{Service: service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler), PublicURL: public}), Token: token, SMSAuthToken: authToken, PublicURL: public, Log: slog.New(slog.DiscardHandler)}))
		defer srv.Close()
		_, err := storetest.DB(s).Exec(`INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, recipient, status, provider_id, created_at, seq) VALUES ('1:sms:1', 1, 'sms', 'sms', '{"customer_id":1}', 'sent', 'SM0123', $1, 7)`, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"MessageSid": {"SM0123"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}}
		post := func(sig string) int {
			req, _ := http.NewRequest("POST", srv.URL+"/callbacks/sms", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", sig)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if code := post("forged"); code != http.StatusForbidden {
			t.Fatalf("forged callback: %d", code)
		}
		if code := post(sms.Signature(authToken, public+"/callbacks/sms", form)); code != http.StatusNoContent {
			t.Fatalf("signed callback: %d", code)
		}
		var status, errCode string
		storetest.DB(s).QueryRow(`SELECT delivery_status, delivery_error FROM ff_outbox WHERE message_id = '1:sms:1'`).Scan(&status, &errCode)
		if status != "undelivered" || errCode != "30003" {
			t.Fatalf("recorded %q %q", status, errCode)
		}
		// A callback address that names the message and its row's number
		// (sms.CallbackURL) finds it by them; each must still match, and
		// the provider's id too.
		for _, tc := range []struct {
			id     string
			seq    int64
			sid    string
			status string
			want   string
		}{
			{"1:sms:2", 0, "SM0123", "delivered", "undelivered"},
			{"1:sms:1", 8, "SM0123", "delivered", "undelivered"},
			{"1:sms:1", 7, "SM9999", "delivered", "undelivered"},
			// Callbacks come out of order: an interim status never
			// replaces a final one; a final one replaces anything.
			{"1:sms:1", 0, "SM0123", "sent", "undelivered"},
			{"1:sms:1", 7, "SM0123", "delivered", "delivered"},
			{"1:sms:1", 7, "SM0123", "sending", "delivered"},
		} {
			form = url.Values{"MessageSid": {tc.sid}, "MessageStatus": {tc.status}}
			addr := sms.CallbackURL(public+"/callbacks/sms", tc.id, tc.seq)
			path := strings.TrimPrefix(addr, public)
			req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", sms.Signature(authToken, addr, form))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("callback for %s (%d, %s): %d", tc.id, tc.seq, tc.sid, resp.StatusCode)
			}
			storetest.DB(s).QueryRow(`SELECT delivery_status FROM ff_outbox WHERE message_id = '1:sms:1'`).Scan(&status)
			if status != tc.want {
				t.Fatalf("after the callback for %s (%d, %s): %q, want %q", tc.id, tc.seq, tc.sid, status, tc.want)
			}
		}
		// The run's figures count sent messages by their latest report.
		figs, err := delivery.RunFigures(context.Background(), s, 1)
		if err != nil || len(figs) != 1 || figs[0].Sent != 1 || figs[0].Reports["delivered"] != 1 {
			t.Fatalf("figures = %+v, %v", figs, err)
		}
	})
}

// TestSMSCallbackSignedForTheConfiguredURL: the provider signs the status
// callback address it was given, here another host and path prefix than
// the public URL (a proxy in front): that address, not the public one,
// checks the signature.
func TestSMSCallbackSignedForTheConfiguredURL(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		const authToken = "twilio-auth-token"
		const callback = "https://hooks.example.net/fanfare-prod/callbacks/sms"
		srv := httptest.NewServer(newAPI(t, api.Config{Service: service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler), PublicURL: "https://fanfare.example.com"}), Token: token, SMSAuthToken: authToken, PublicURL: "https://fanfare.example.com", SMSStatusCallback: callback, Log: slog.New(slog.DiscardHandler)}))
		defer srv.Close()
		_, err := storetest.DB(s).Exec(`INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, recipient, status, provider_id, created_at, seq) VALUES ('1:sms:1', 1, 'sms', 'sms', '{"customer_id":1}', 'sent', 'SM0123', $1, 7)`, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		post := func(signedFor string) int {
			form := url.Values{"MessageSid": {"SM0123"}, "MessageStatus": {"delivered"}}
			addr := sms.CallbackURL(callback, "1:sms:1", 7)
			// The proxy strips the host and the prefix.
			req, _ := http.NewRequest("POST", srv.URL+strings.TrimPrefix(addr, "https://hooks.example.net/fanfare-prod"), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", sms.Signature(authToken, signedFor, form))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if code := post(sms.CallbackURL("https://evil.example.org/callbacks/sms", "1:sms:1", 7)); code != http.StatusForbidden {
			t.Fatalf("callback signed for another address: %d", code)
		}
		if code := post(sms.CallbackURL(callback, "1:sms:1", 7)); code != http.StatusNoContent {
			t.Fatalf("callback signed for the configured address: %d", code)
		}
		var status string
		storetest.DB(s).QueryRow(`SELECT delivery_status FROM ff_outbox WHERE message_id = '1:sms:1'`).Scan(&status)
		if status != "delivered" {
			t.Fatalf("recorded %q", status)
		}
	})
}

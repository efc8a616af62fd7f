package delivery_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/push"
	"github.com/fanfare-dev/fanfare/internal/channel/push/apns"
	"github.com/fanfare-dev/fanfare/internal/channel/push/fcm"
	"github.com/fanfare-dev/fanfare/internal/channel/push/pushtest"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// APNs device tokens are hexadecimal.
const (
	iosLive  = "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11"
	iosDead  = "bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22"
	iosLarge = "cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33"
)

// TestPushFailuresBecomeEvents: FCM's and APNs' HTTP/2 servers refuse
// some messages — a dead token (FCM's UNREGISTERED, APNs' 410
// Unregistered), an invalid one (FCM's INVALID_ARGUMENT), a payload too
// large (APNs' 413) — and each refusal becomes an event of its message
// with the provider's code: bounce_hard for a dead token, which goes to
// the suppression list as before, failed otherwise, suppressing nothing.
// The run's figures and its channels agree with the events counted here.
func TestPushFailuresBecomeEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := schema.Apply(ctx, s, []byte(deviceModel), schema.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		m, _ := datamodel.Parse([]byte(deviceModel))
		devices := "device_id,customer_id,push_token,platform,active\n" +
			"d1,1,tok-live,android,true\nd2,1,tok-dead,android,true\nd3,2,tok-bad,android,true\n" +
			"d4,2," + iosLive + ",ios,true\nd5,3," + iosDead + ",ios,true\nd6,3," + iosLarge + ",ios,true\n"
		for _, e := range []struct{ name, body string }{
			{"customers", "customer_id,first_name\n1,Ann\n2,Bob\n3,Cy\n"},
			{"devices", devices},
		} {
			if _, err := ingest.Import(ctx, s, m, e.name, e.name+".csv", strings.NewReader(e.body), ingest.Options{Format: ingest.FormatCSV, Orphans: ingest.OrphansKeep}); err != nil {
				t.Fatal(err)
			}
		}
		f, a := pushtest.NewFCM(t), pushtest.NewAPNs(t)
		f.SetReply("tok-dead", pushtest.Reply{Status: 404, Body: `{"error":{"code":404,"status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}`})
		f.SetReply("tok-bad", pushtest.Reply{Status: 400, Body: `{"error":{"code":400,"message":"The registration token is not a valid FCM registration token","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"INVALID_ARGUMENT"}]}}`})
		a.SetReply(iosDead, pushtest.Reply{Status: 410, Body: `{"reason":"Unregistered","timestamp":1767225600000}`})
		a.SetReply(iosLarge, pushtest.Reply{Status: 413, Body: `{"reason":"PayloadTooLarge"}`})
		fp, err := fcm.New(fcm.Config{ServiceAccountJSON: f.ServiceAccount, BaseURL: f.Server.URL, HTTPClient: f.Server.Client(), Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fp.Close() })
		ap, err := apns.New(apns.Config{TeamID: pushtest.TeamID, KeyID: pushtest.KeyID, Topic: pushtest.Topic,
			PrivateKeyP8: a.PrivateKeyP8, BaseURL: a.Server.URL, HTTPClient: a.Server.Client(), Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ap.Close() })
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Push: push.New(fp, ap)}, Owner: "n1",
			Renderer: &delivery.CampaignRenderer{Store: s}})
		run := runLive(t, s, pushCampaign)
		drain(t, d)

		// Counted here: each event with its message's token.
		rows, err := storetest.DB(s).Query(`SELECT o.address, e.type, e.details FROM ff_events e JOIN ff_outbox o ON o.message_id = e.message_id WHERE e.run_id = $1`, run)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		byType := map[string]int64{}
		for rows.Next() {
			var addr, typ, details string
			if err := rows.Scan(&addr, &typ, &details); err != nil {
				t.Fatal(err)
			}
			got[addr] = typ + " " + details
			byType[typ]++
		}
		rows.Close()
		for token, want := range map[string][]string{
			"tok-dead": {"bounce_hard ", `"status":"UNREGISTERED"`, `"source":"push"`},
			"tok-bad":  {"failed ", `"status":"INVALID_ARGUMENT"`, "not a valid FCM registration token"},
			iosDead:    {"bounce_hard ", `"status":"Unregistered"`, "apns: device token dead"},
			iosLarge:   {"failed ", `"status":"PayloadTooLarge"`, "HTTP 413"},
		} {
			for _, w := range want {
				if !strings.Contains(got[token], w) {
					t.Errorf("the event of %.8s: %q, want %q in it", token, got[token], w)
				}
			}
		}
		if len(got) != 4 {
			t.Errorf("events: %v", got)
		}

		sup, err := delivery.Suppressions(ctx, s, channel.Push, "", false, 100)
		if err != nil {
			t.Fatal(err)
		}
		var suppressed []string
		for _, x := range sup {
			suppressed = append(suppressed, x.Address)
		}
		if len(suppressed) != 2 || !strings.Contains(strings.Join(suppressed, " "), "tok-dead") || !strings.Contains(strings.Join(suppressed, " "), iosDead) {
			t.Errorf("suppressed: %v", suppressed)
		}

		figs, err := delivery.RunFigures(ctx, s, run)
		if err != nil || len(figs) != 1 {
			t.Fatalf("figures: %+v, %v", figs, err)
		}
		fg := figs[0]
		if e := fg.Engagement; fg.Sent != 2 || fg.Failed != 4 || e == nil || e.BouncedHard != byType["bounce_hard"] || e.ReportedFailed != byType["failed"] || e.BouncedHard != 2 || e.ReportedFailed != 2 {
			t.Errorf("figures: %+v, engagement %+v", fg, fg.Engagement)
		}
		r, err := delivery.RunReport(ctx, s, run, delivery.ReportOptions{})
		if err != nil || len(r.Channels) != 1 {
			t.Fatalf("report: %+v, %v", r, err)
		}
		if c := r.Channels[0]; c.Channel != "push" || c.Sent != 2 || c.Failed != 4 || c.BouncedHard != byType["bounce_hard"] || c.ReportedFailed != byType["failed"] {
			t.Errorf("the push channel: %+v", c)
		}
	})
}

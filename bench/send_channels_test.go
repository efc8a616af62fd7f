package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/push"
	"github.com/fanfare-dev/fanfare/internal/channel/push/apns"
	"github.com/fanfare-dev/fanfare/internal/channel/push/fcm"
	"github.com/fanfare-dev/fanfare/internal/channel/push/pushtest"
	"github.com/fanfare-dev/fanfare/internal/channel/sms"
	"github.com/fanfare-dev/fanfare/internal/channel/sms/smstest"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// smsCampaign texts every customer with a phone number.
const smsCampaign = `name: send_sms
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'phone is not null'}
  text:
    type: sms
    from: Fanfare
    text: 'Hello {{ profile.first_name }}, our winter selection is in: 20% off at the {{ profile.city }} shop until Sunday. Reply STOP to opt out.'
transitions:
  - start -> all
  - all -> text
`

// pushCampaign notifies the customers who have an active device; the
// activity reaches every device of theirs, iOS ones through APNs and
// Android ones through FCM.
const pushCampaign = `name: send_push
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'exists(devices where active = true)'}
  app:
    type: push
    title: 'Hello {{ profile.first_name }}'
    body: 'Our winter selection is in: 20% off at the {{ profile.city }} shop until Sunday.'
    deep_link: 'fanfare://offers/winter?customer={{ profile.customer_id }}'
    data: {campaign: winter}
    ios: {sound: default, badge: 1}
    android: {channel: promos, priority: high}
transitions:
  - start -> all
  - all -> app
`

// Concurrent requests of the providers under test and of the bare clients
// they are compared with: the providers' defaults.
const (
	smsConns  = sms.DefaultConcurrency
	pushConns = fcm.DefaultConcurrency // and apns.DefaultConcurrency, per platform
)

// BenchmarkSendSMS runs one SMS activity over the demo's customers with a
// phone (live, on each store) and dispatches it to the sandbox and to a
// local Twilio-style API, end to end: outbox claim, checks, render, send,
// record. The ceiling is a bare net/http client posting as many pre-built
// forms, as many at a time, to the same server.
func BenchmarkSendSMS(b *testing.B) {
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			s := loadDemoScale(b, backend, recipients())
			for _, provider := range []string{"sandbox", "twilio"} {
				b.Run(provider, func(b *testing.B) { sendSMSOnce(b, s, provider) })
			}
		})
	}
}

// sendSMSOnce runs the SMS campaign live and sends its messages to the
// provider.
func sendSMSOnce(b *testing.B, s *store.Store, provider string) {
	r := startSend(b, s, smsCampaign, "send_sms")
	var p channel.Provider
	var api *smstest.API
	var srv *httptest.Server
	var err error
	switch provider {
	case "sandbox":
		p, err = delivery.NewSandbox(s, channel.SMS)
	case "twilio":
		api = &smstest.API{}
		api.Discard()
		srv = smstest.Start(b, api)
		p, err = sms.New(sms.Config{BaseURL: srv.URL, AccountSID: smstest.AccountSID, AuthToken: smstest.AuthToken,
			From: "+15005550006", Concurrency: smsConns})
	}
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	rate, sent := r.send(b, provider, channel.SMS, p)
	if api == nil {
		return
	}
	if got := api.Created(); got != sent {
		b.Errorf("the API created %d messages, the outbox says %d were sent", got, sent)
	}
	ceiling := bare(b, smsLoad(srv.URL, int(sent)))
	b.ReportMetric(rate/ceiling, "x_bare_client")
	b.Logf("bare net/http, %d connections, same server: %.0f msgs/s; fanfare end to end = %.2f of it", smsConns, ceiling, rate/ceiling)
}

// BenchmarkSendPush runs one push activity over the demo's customers with
// an active device (live, on each store) and dispatches it to the sandbox
// and to local FCM and APNs servers (HTTP/2 over TLS) through the push
// provider the app wires for --push-provider native, end to end. The
// ceiling is a bare net/http client sending as many pre-built requests per
// platform, with as many streams per server, to the same servers at once.
func BenchmarkSendPush(b *testing.B) {
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			s := loadDemoScale(b, backend, recipients())
			for _, provider := range []string{"sandbox", "native"} {
				b.Run(provider, func(b *testing.B) { sendPushOnce(b, s, provider) })
			}
		})
	}
}

// sendPushOnce runs the push campaign live and sends its messages to the
// provider.
func sendPushOnce(b *testing.B, s *store.Store, provider string) {
	r := startSend(b, s, pushCampaign, "send_push")
	var p channel.Provider
	var fs *pushtest.FCM
	var as *pushtest.APNs
	switch provider {
	case "sandbox":
		var err error
		if p, err = delivery.NewSandbox(s, channel.Push); err != nil {
			b.Fatal(err)
		}
	case "native":
		fs, as = pushtest.NewFCM(b), pushtest.NewAPNs(b)
		fs.Discard()
		as.Discard()
		f, err := fcm.New(fcm.Config{ServiceAccountJSON: fs.ServiceAccount, BaseURL: fs.Server.URL,
			HTTPClient: h2Client(fs.Server), Concurrency: pushConns})
		if err != nil {
			b.Fatal(err)
		}
		a, err := apns.New(apns.Config{TeamID: pushtest.TeamID, KeyID: pushtest.KeyID, Topic: pushtest.Topic,
			PrivateKeyP8: as.PrivateKeyP8, BaseURL: as.Server.URL, HTTPClient: h2Client(as.Server), Concurrency: pushConns})
		if err != nil {
			b.Fatal(err)
		}
		p = push.New(f, a)
	}
	defer p.Close()
	byPlatform := r.byPlatform(b)
	rate, sent := r.send(b, provider, channel.Push, p)
	b.Logf("messages by platform: %d android, %d ios", byPlatform[push.Android], byPlatform[push.IOS])
	if fs == nil {
		return
	}
	if got := fs.Accepted() + as.Accepted(); got != sent {
		b.Errorf("FCM and APNs accepted %d messages, the outbox says %d were sent", got, sent)
	}
	for _, e := range append(fs.Errors(), as.Errors()...) {
		b.Errorf("fake server found a fault: %s", e)
	}
	ceiling := bare(b, fcmLoad(b, fs, int(byPlatform[push.Android])), apnsLoad(b, as, int(byPlatform[push.IOS])))
	b.ReportMetric(rate/ceiling, "x_bare_client")
	b.Logf("bare net/http, %d streams per server, same servers: %.0f msgs/s; fanfare end to end = %.2f of it", pushConns, ceiling, rate/ceiling)
}

// sendRun is a live run whose messages wait in the outbox.
type sendRun struct {
	store *store.Store
	run   int64
	// total counts the messages pending.
	total int64
}

// startSend runs campaign (doc) live on s until its messages are in the
// outbox, then caps the embedded store's memory as a server's would be.
func startSend(b *testing.B, s *store.Store, doc, campaign string) sendRun {
	b.Helper()
	ctx := context.Background()
	t0 := time.Now()
	eng := engine.New(engine.Config{Store: s, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now.Add(time.Since(t0)) }})
	if _, err := eng.Save(ctx, []byte(doc)); err != nil {
		b.Fatal(err)
	}
	if _, err := eng.Publish(ctx, campaign); err != nil {
		b.Fatal(err)
	}
	r := sendRun{store: s, run: runLive(b, eng, campaign)}
	limitMemory(b, s)
	if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_outbox WHERE run_id = $1 AND status = 'pending'`, r.run).Scan(&r.total); err != nil {
		b.Fatal(err)
	}
	return r
}

// byPlatform counts the pending messages by device platform.
func (r sendRun) byPlatform(b *testing.B) map[string]int64 {
	b.Helper()
	rows, err := storetest.DB(r.store).Query(`SELECT coalesce(platform, ''), count(*) FROM ff_outbox WHERE run_id = $1 AND status = 'pending' GROUP BY 1`, r.run)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var platform string
		var n int64
		if err := rows.Scan(&platform, &n); err != nil {
			b.Fatal(err)
		}
		out[platform] = n
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return out
}

// send dispatches the run's outbox into p as `fanfare serve` does and
// reports msgs/s and the peak RSS and Go heap during the send. It returns
// the rate and how many messages were sent.
func (r sendRun) send(b *testing.B, provider, ch string, p channel.Provider) (rate float64, sent int64) {
	b.Helper()
	tp := &timedProvider{Provider: p}
	d := delivery.New(delivery.Config{Store: r.store, Log: slog.New(slog.DiscardHandler), Providers: map[string]channel.Provider{ch: tp}, Owner: "bench",
		Renderer: &delivery.CampaignRenderer{Store: r.store, Links: delivery.NewLinks(keyring.New(r.store)), PublicURL: "https://fanfare.example.com"}})
	b.ResetTimer()
	st := dispatchAll(b, r.store, d, tp, r.run)
	b.StopTimer()
	figs, err := delivery.RunFigures(context.Background(), r.store, r.run)
	if err != nil || len(figs) != 1 {
		b.Fatalf("figures: %v, %v", figs, err)
	}
	f := figs[0]
	rate = float64(f.Sent) / st.secs
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(st.peakRSS, "send_peak_rss_MB")
	b.ReportMetric(st.peakHeap, "send_peak_heap_MB")
	b.Logf("%s: %d messages (%d sent, %d failed, %d in doubt) in %.1fs = %.0f msgs/s; during the send: peak RSS %.0f MB, peak Go heap %.0f MB (embedded store memory limit %s)",
		provider, r.total, f.Sent, f.Failed, f.InDoubt, st.secs, rate, st.peakRSS, st.peakHeap, benchMemoryLimit())
	// The rest of the dispatcher's time goes to the outbox (claims,
	// checks, status writes) and to rendering.
	busy := time.Duration(tp.busy.Load()).Seconds()
	loops := float64(delivery.DefaultLoops) * st.secs
	b.Logf("in the provider's Send: %.1fs of the dispatcher's %d loops' %.1fs (%.0f%%); the process used %.2f CPUs", busy, delivery.DefaultLoops, loops, 100*busy/loops, st.cpu)
	if f.Sent != r.total {
		b.Errorf("%d of %d messages sent; failures: %v", f.Sent, r.total, f.Failures)
	}
	return rate, f.Sent
}

// timedProvider sums the time the dispatcher's loops spend in Send, and
// counts the messages it was handed.
type timedProvider struct {
	channel.Provider
	busy   atomic.Int64 // nanoseconds
	handed atomic.Int64
}

// Send sends through the wrapped provider and counts the time it took.
func (p *timedProvider) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	start := time.Now()
	defer func() { p.busy.Add(int64(time.Since(start))) }()
	p.handed.Add(int64(len(msgs)))
	return p.Provider.Send(ctx, msgs)
}

// bareLoad is n requests made by workers goroutines over client: each
// builds a request with req and expects status want.
type bareLoad struct {
	n, workers int
	client     *http.Client
	req        func() (*http.Request, error)
	want       int
}

// bare runs every load at once, reading each answer in full, and returns
// requests per second over all.
func bare(b *testing.B, loads ...bareLoad) float64 {
	b.Helper()
	var wg sync.WaitGroup
	total := 0
	start := time.Now()
	for _, l := range loads {
		total += l.n
		var next atomic.Int64
		for range l.workers {
			wg.Go(func() {
				for next.Add(1) <= int64(l.n) {
					if err := roundTrip(l.client, l.req, l.want); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	rate := float64(total) / time.Since(start).Seconds()
	for _, l := range loads {
		l.client.CloseIdleConnections()
	}
	return rate
}

// roundTrip sends a request, reads the whole answer and checks its status.
func roundTrip(client *http.Client, build func() (*http.Request, error), want int) error {
	req, err := build()
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s: status %d", req.URL.Path, resp.StatusCode)
	}
	return nil
}

// smsLoad is n pre-built message forms posted to the Messages API at base
// over smsConns connections, as the SMS provider posts them.
func smsLoad(base string, n int) bareLoad {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = smsConns
	endpoint := base + smstest.Path
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(smstest.AccountSID+":"+smstest.AuthToken))
	form := url.Values{"To": {"+33612345678"}, "From": {"Fanfare"},
		"Body": {"Hello Camille, our winter selection is in: 20% off at the Lyon shop until Sunday. Reply STOP to opt out."}}.Encode()
	return bareLoad{n: n, workers: smsConns, client: &http.Client{Transport: tr}, want: http.StatusCreated,
		req: func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", auth)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "application/json")
			return req, nil
		}}
}

// fcmLoad is n pre-built FCM messages over pushConns streams, with the
// access token the provider was issued.
func fcmLoad(b *testing.B, fs *pushtest.FCM, n int) bareLoad {
	issued := fs.Issued()
	if len(issued) == 0 {
		b.Fatal("FCM issued no access token")
	}
	endpoint := fs.Server.URL + "/v1/projects/" + pushtest.Project + "/messages:send"
	auth := "Bearer " + issued[len(issued)-1]
	body := `{"message":{"android":{"notification":{"channel_id":"promos"},"priority":"HIGH"},` +
		`"apns":{"payload":{"aps":{"badge":1,"sound":"default"}}},` +
		`"data":{"campaign":"winter","deep_link":"fanfare://offers/winter?customer=12345","fanfare_message_id":"1:app:12345|Xb3kQ9vT0aLmN2pR7sUwYz:APA91bHq"},` +
		`"notification":{"body":"Our winter selection is in: 20% off at the Lyon shop until Sunday.","title":"Hello Camille"},` +
		`"token":"Xb3kQ9vT0aLmN2pR7sUwYz:APA91bHqL0cT5vRk2XwNz8Yp4AdFg6JhKs9Ue3Wi1Oq7Mn5Bv0Cx2Zl8Ty4Ga6Sd1Fh3Jk7Lp9Qw2Er"}}`
	return bareLoad{n: n, workers: pushConns, client: h2Client(fs.Server), want: http.StatusOK,
		req: func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", auth)
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
			return req, nil
		}}
}

// apnsLoad is n pre-built APNs notifications over pushConns streams, with
// the provider token the provider signed.
func apnsLoad(b *testing.B, as *pushtest.APNs, n int) bareLoad {
	jwts := as.JWTs()
	if len(jwts) == 0 {
		b.Fatal("APNs saw no provider token")
	}
	token := "3f1a9c0b7d2e4f6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a"
	endpoint := as.Server.URL + "/3/device/" + token
	auth := "bearer " + jwts[0]
	body := `{"aps":{"alert":{"body":"Our winter selection is in: 20% off at the Lyon shop until Sunday.","title":"Hello Camille"},"badge":1,"sound":"default"},` +
		`"campaign":"winter","deep_link":"fanfare://offers/winter?customer=12345","fanfare_message_id":"1:app:12345|` + token + `"}`
	id := apns.ID("1:app:12345|" + token)
	return bareLoad{n: n, workers: pushConns, client: h2Client(as.Server), want: http.StatusOK,
		req: func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", auth)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("apns-topic", pushtest.Topic)
			req.Header.Set("apns-push-type", "alert")
			req.Header.Set("apns-priority", "10")
			req.Header.Set("apns-id", id)
			return req, nil
		}}
}

// h2Client is the push providers' default client (HTTP/2 over TLS) made
// to trust a local test server's certificate.
func h2Client(srv *httptest.Server) *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots}
	tr.ForceAttemptHTTP2 = true
	tr.MaxIdleConnsPerHost = pushConns
	return &http.Client{Transport: tr}
}

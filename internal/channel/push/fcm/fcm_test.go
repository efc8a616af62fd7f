package fcm_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
	"github.com/fanfare-dev/fanfare/internal/channel/push/fcm"
	"github.com/fanfare-dev/fanfare/internal/channel/push/pushtest"
)

// setup starts a fake FCM and a provider pointed at it.
func setup(t *testing.T, edit func(*fcm.Config)) (*fcm.Provider, *pushtest.FCM) {
	t.Helper()
	f := pushtest.NewFCM(t)
	cfg := fcm.Config{
		ServiceAccountJSON: f.ServiceAccount,
		BaseURL:            f.Server.URL,
		HTTPClient:         f.Server.Client(),
		Timeout:            5 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	p, err := fcm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.Close()
		if errs := f.Errors(); len(errs) > 0 {
			t.Errorf("fake FCM found faults: %q", errs)
		}
	})
	return p, f
}

func TestConformance(t *testing.T) {
	channeltest.Conformance(t, func(t *testing.T) (channel.Provider, channeltest.Inspector) {
		return setup(t, nil)
	})
}

func android(id, token string) *channel.Message {
	return &channel.Message{ID: id, Channel: channel.Push, To: token, Platform: "android",
		Push: &channel.PushContent{Title: "Hi", Body: "Hello " + id}}
}

func TestPayload(t *testing.T) {
	p, f := setup(t, nil)
	badge := 3
	m := android("m-1", "tok-1")
	m.Push = &channel.PushContent{
		Title: "Sale", Body: "50% off", Image: "https://img.example.com/a.png",
		DeepLink: "app://sale/1", Data: map[string]string{"k": "v"},
		Badge: &badge, Sound: "default", Category: "SALE",
		AndroidChannel: "promos", Priority: "high",
	}
	res := p.Send(t.Context(), []*channel.Message{m})
	if res[0].Outcome != channel.Sent || res[0].ProviderID != "projects/"+pushtest.Project+"/messages/m-1" {
		t.Fatalf("result %+v", res[0])
	}
	got := fmt.Sprint(f.Payloads()[0])
	want := "map[android:map[notification:map[channel_id:promos] priority:HIGH] " +
		"apns:map[headers:map[apns-priority:10 apns-push-type:alert] payload:map[aps:map[badge:3 category:SALE sound:default]]] " +
		"data:map[deep_link:app://sale/1 fanfare_message_id:m-1 k:v] " +
		"notification:map[body:50% off image:https://img.example.com/a.png title:Sale] token:tok-1]"
	if got != want {
		t.Errorf("payload\n got %s\nwant %s", got, want)
	}
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		reply      pushtest.Reply
		outcome    channel.Outcome
		deactivate bool
	}{
		{"unregistered", pushtest.Reply{Status: 404, Body: `{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}`}, channel.Permanent, true},
		{"invalid token", pushtest.Reply{Status: 400, Body: `{"error":{"code":400,"message":"The registration token is not a valid FCM registration token","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"INVALID_ARGUMENT"}]}}`}, channel.Permanent, false},
		{"quota", pushtest.Reply{Status: 429, Body: `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"errorCode":"QUOTA_EXCEEDED"}]}}`}, channel.Transient, false},
		{"unavailable", pushtest.Reply{Status: 503, Body: `{"error":{"code":503,"status":"UNAVAILABLE"}}`}, channel.Transient, false},
		{"internal", pushtest.Reply{Status: 500, Body: `not json`}, channel.Transient, false},
		{"sender mismatch", pushtest.Reply{Status: 403, Body: `{"error":{"code":403,"status":"PERMISSION_DENIED","details":[{"errorCode":"SENDER_ID_MISMATCH"}]}}`}, channel.Permanent, false},
		{"auth", pushtest.Reply{Status: 403, Body: `{"error":{"code":403,"status":"PERMISSION_DENIED"}}`}, channel.Transient, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f := setup(t, nil)
			f.SetReply("dead", tt.reply)
			res := p.Send(t.Context(), []*channel.Message{android("a", "dead"), android("b", "alive")})
			if r := res[0]; r.Outcome != tt.outcome || r.Deactivate != tt.deactivate || r.Error == "" {
				t.Errorf("dead: %+v, want %s deactivate=%t", r, tt.outcome, tt.deactivate)
			}
			if r := res[1]; r.Outcome != channel.Sent || r.Deactivate {
				t.Errorf("alive: %+v", r)
			}
		})
	}
}

func TestTokenCached(t *testing.T) {
	p, f := setup(t, nil)
	for i := range 5 {
		msgs := channeltest.Messages(channel.Push, fmt.Sprintf("cache%d", i), 20)
		for _, r := range p.Send(t.Context(), msgs) {
			if r.Outcome != channel.Sent {
				t.Fatalf("%+v", r)
			}
		}
	}
	if n := f.Fetches(); n != 1 {
		t.Errorf("%d token requests for 100 sends, want 1", n)
	}
}

func TestUnauthorizedRefreshesOnce(t *testing.T) {
	p, f := setup(t, nil)
	if r := p.Send(t.Context(), []*channel.Message{android("a", "t1")})[0]; r.Outcome != channel.Sent {
		t.Fatalf("%+v", r)
	}
	f.RevokeAll()
	if r := p.Send(t.Context(), []*channel.Message{android("b", "t2")})[0]; r.Outcome != channel.Sent {
		t.Fatalf("after revocation: %+v", r)
	}
	if n := f.Fetches(); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
	if n := len(f.Received()); n != 2 {
		t.Errorf("received %d, want 2", n)
	}
}

func TestHangingServerIsUnknown(t *testing.T) {
	p, f := setup(t, func(c *fcm.Config) { c.Timeout = 300 * time.Millisecond })
	f.SetReply("hang", pushtest.Reply{Hang: true})
	start := time.Now()
	r := p.Send(t.Context(), []*channel.Message{android("a", "hang")})[0]
	if r.Outcome != channel.Unknown {
		t.Errorf("%+v, want in doubt", r)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s with a 300ms timeout", d)
	}
}

func TestHangingTokenEndpointIsTransient(t *testing.T) {
	p, f := setup(t, func(c *fcm.Config) { c.Timeout = 300 * time.Millisecond })
	f.HangTokens()
	start := time.Now()
	r := p.Send(t.Context(), []*channel.Message{android("a", "t")})[0]
	if r.Outcome != channel.Transient {
		t.Errorf("%+v, want retry", r)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s with a 300ms timeout", d)
	}
	if n := len(f.Offered()); n != 0 {
		t.Errorf("FCM offered %d messages without a token", n)
	}
}

func TestNoServerIsTransient(t *testing.T) {
	p, f := setup(t, func(c *fcm.Config) { c.Timeout = time.Second })
	// Fetch a token first, so the failure is the send's.
	p.Send(t.Context(), []*channel.Message{android("a", "t")})
	f.Server.Close()
	r := p.Send(t.Context(), []*channel.Message{android("b", "t")})[0]
	if r.Outcome != channel.Transient {
		t.Errorf("%+v, want retry", r)
	}
}

func TestSecretsStayHidden(t *testing.T) {
	p, f := setup(t, nil)
	f.RefuseTokens()
	r := p.Send(t.Context(), []*channel.Message{android("a", "t")})[0]
	if r.Outcome != channel.Transient || !strings.Contains(r.Error, "invalid_grant") {
		t.Errorf("refused token: %+v", r)
	}
	cfg := fcm.Config{ProjectID: "p", ServiceAccountJSON: f.ServiceAccount}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	slog.New(slog.NewJSONHandler(&log, nil)).Info("config", "fcm", cfg)
	broken := fcm.Config{ProjectID: "p", ServiceAccountJSON: bytes.Replace(f.ServiceAccount, []byte("MII"), []byte("XXX"), 1)}
	err := broken.Validate()
	if err == nil {
		t.Fatal("a broken key validated")
	}
	keyBody := strings.Split(f.PrivateKeyPEM, "\n")[3]
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), log.String(), err.Error(), r.Error} {
		if strings.Contains(s, keyBody) || strings.Contains(s, "PRIVATE KEY") || strings.Contains(s, "ya29.") {
			t.Errorf("secret in output: %s", s)
		}
	}
}

func TestValidate(t *testing.T) {
	f := pushtest.NewFCM(t)
	tests := []struct {
		name string
		cfg  fcm.Config
		ok   bool
	}{
		{"defaults", fcm.Config{ServiceAccountJSON: f.ServiceAccount}, true},
		{"no account", fcm.Config{ProjectID: "p"}, false},
		{"not json", fcm.Config{ProjectID: "p", ServiceAccountJSON: []byte("{")}, false},
		{"plain http", fcm.Config{ServiceAccountJSON: f.ServiceAccount, BaseURL: "http://fcm.example.com"}, false},
		{"bad project", fcm.Config{ProjectID: "a/b", ServiceAccountJSON: f.ServiceAccount}, false},
		{"concurrency", fcm.Config{ServiceAccountJSON: f.ServiceAccount, Concurrency: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
	cfg := fcm.Config{ServiceAccountJSON: f.ServiceAccount}
	_ = cfg.Validate()
	if cfg.ProjectID != pushtest.Project || cfg.BaseURL != fcm.DefaultBaseURL {
		t.Errorf("defaults: %v", cfg)
	}
}

func TestFromEnv(t *testing.T) {
	f := pushtest.NewFCM(t)
	file := t.TempDir() + "/sa.json"
	if err := os.WriteFile(file, append(f.ServiceAccount, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"F_SERVICE_ACCOUNT_JSON_FILE": file,
		"F_CONCURRENCY":               "4",
		"F_TIMEOUT":                   "2s",
	}
	cfg, err := fcm.FromEnv("F_", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.ProjectID != pushtest.Project || cfg.Concurrency != 4 || cfg.Timeout != 2*time.Second {
		t.Errorf("%v", cfg)
	}
	env["F_SERVICE_ACCOUNT_JSON_FILE"] = file + ".missing"
	env["F_TIMEOUT"] = "soon"
	if _, err := fcm.FromEnv("F_", func(k string) string { return env[k] }); err == nil {
		t.Error("a missing file and a bad duration were accepted")
	}
}

package apns_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
	"github.com/fanfare-dev/fanfare/internal/channel/push/apns"
	"github.com/fanfare-dev/fanfare/internal/channel/push/pushtest"
)

// setup starts a fake APNs and a provider pointed at it.
func setup(t *testing.T, edit func(*apns.Config)) (*apns.Provider, *pushtest.APNs) {
	t.Helper()
	a := pushtest.NewAPNs(t)
	cfg := apns.Config{
		TeamID: pushtest.TeamID, KeyID: pushtest.KeyID, Topic: pushtest.Topic,
		PrivateKeyP8: a.PrivateKeyP8,
		BaseURL:      a.Server.URL,
		HTTPClient:   a.Server.Client(),
		Timeout:      5 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	p, err := apns.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.Close()
		if errs := a.Errors(); len(errs) > 0 {
			t.Errorf("fake APNs found faults: %q", errs)
		}
	})
	return p, a
}

func TestConformance(t *testing.T) {
	channeltest.Conformance(t, func(t *testing.T) (channel.Provider, channeltest.Inspector) {
		return setup(t, nil)
	})
}

func ios(id, token string) *channel.Message {
	return &channel.Message{ID: id, Channel: channel.Push, To: token, Platform: "ios",
		Push: &channel.PushContent{Title: "Hi", Body: "Hello " + id}}
}

func TestRequest(t *testing.T) {
	p, a := setup(t, nil)
	badge := 2
	m := ios("m-1", "ab01")
	m.Push = &channel.PushContent{
		Title: "Sale", Body: "50% off", Image: "https://img.example.com/a.png",
		DeepLink: "app://sale/1", Data: map[string]string{"k": "v"},
		Badge: &badge, Sound: "default", Category: "SALE", Priority: "normal",
	}
	res := p.Send(t.Context(), []*channel.Message{m})
	if res[0].Outcome != channel.Sent || res[0].ProviderID != apns.ID("m-1") {
		t.Fatalf("result %+v", res[0])
	}
	h := a.Headers()[0]
	if h.Get("apns-id") != apns.ID("m-1") || h.Get("apns-priority") != "5" {
		t.Errorf("headers %v", h)
	}
	got := fmt.Sprint(a.Payloads()[0])
	want := "map[aps:map[alert:map[body:50% off title:Sale] badge:2 category:SALE mutable-content:1 sound:default] " +
		"deep_link:app://sale/1 fanfare_message_id:m-1 image:https://img.example.com/a.png k:v]"
	if got != want {
		t.Errorf("payload\n got %s\nwant %s", got, want)
	}
}

func TestID(t *testing.T) {
	id := apns.ID("run-1/act-2/rcpt-3")
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("ID = %q, not a version 8 UUID", id)
	}
	if apns.ID("run-1/act-2/rcpt-3") != id || apns.ID("run-1/act-2/rcpt-4") == id {
		t.Error("ID is not a deterministic function of the message ID")
	}
	if apns.ID("") != "" {
		t.Error("an empty message ID got an apns-id")
	}
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		reply      pushtest.Reply
		outcome    channel.Outcome
		deactivate bool
	}{
		{"unregistered", pushtest.Reply{Status: 410, Body: `{"reason":"Unregistered","timestamp":1700000000000}`}, channel.Permanent, true},
		// Apple says so of a good token of the other environment too.
		{"bad token", pushtest.Reply{Status: 400, Body: `{"reason":"BadDeviceToken"}`}, channel.Permanent, false},
		{"expired token", pushtest.Reply{Status: 400, Body: `{"reason":"ExpiredToken"}`}, channel.Permanent, true},
		{"wrong topic", pushtest.Reply{Status: 400, Body: `{"reason":"DeviceTokenNotForTopic"}`}, channel.Permanent, false},
		{"too large", pushtest.Reply{Status: 413, Body: `{"reason":"PayloadTooLarge"}`}, channel.Permanent, false},
		{"throttled", pushtest.Reply{Status: 429, Body: `{"reason":"TooManyRequests"}`}, channel.Transient, false},
		{"internal", pushtest.Reply{Status: 500, Body: `{"reason":"InternalServerError"}`}, channel.Transient, false},
		{"unavailable", pushtest.Reply{Status: 503, Body: `{"reason":"ServiceUnavailable"}`}, channel.Transient, false},
		{"bad key", pushtest.Reply{Status: 403, Body: `{"reason":"InvalidProviderToken"}`}, channel.Transient, false},
		{"bad topic", pushtest.Reply{Status: 400, Body: `{"reason":"BadTopic"}`}, channel.Transient, false},
		{"topic disallowed", pushtest.Reply{Status: 400, Body: `{"reason":"TopicDisallowed"}`}, channel.Transient, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, a := setup(t, nil)
			a.SetReply("dead", tt.reply)
			res := p.Send(t.Context(), []*channel.Message{ios("a", "dead"), ios("b", "a11e")})
			if r := res[0]; r.Outcome != tt.outcome || r.Deactivate != tt.deactivate || r.Error == "" {
				t.Errorf("dead: %+v, want %s deactivate=%t", r, tt.outcome, tt.deactivate)
			}
			// The configuration, not the message, is at fault: a setup
			// error rests the channel (delivery's outages).
			if setup := tt.name == "bad topic" || tt.name == "topic disallowed" || tt.name == "bad key"; res[0].Setup != setup {
				t.Errorf("dead: %+v, want setup=%t", res[0], setup)
			}
			if r := res[1]; r.Outcome != channel.Sent || r.Deactivate {
				t.Errorf("alive: %+v", r)
			}
		})
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	p, a := setup(t, nil)
	notHex := ios("a", "zz/../x")
	noContent := ios("b", "ab")
	noContent.Push = nil
	reserved := ios("c", "ab")
	reserved.Push.Data = map[string]string{"aps": "x"}
	huge := ios("d", "ab")
	huge.Push.Body = strings.Repeat("x", 5000)
	for _, r := range p.Send(t.Context(), []*channel.Message{notHex, noContent, reserved, huge}) {
		if r.Outcome != channel.Permanent || r.Error == "" {
			t.Errorf("%+v, want failed", r)
		}
	}
	if n := len(a.Offered()); n != 0 {
		t.Errorf("server offered %d messages", n)
	}
}

func TestProviderToken(t *testing.T) {
	p, a := setup(t, nil)
	var mu sync.Mutex
	now := time.Now()
	apns.SetNow(p, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	send := func(prefix string) {
		t.Helper()
		for _, r := range p.Send(t.Context(), channeltest.Messages(channel.Push, prefix, 30)) {
			if r.Outcome != channel.Sent {
				t.Fatalf("%+v", r)
			}
		}
	}
	send("a")
	mu.Lock()
	now = now.Add(49 * time.Minute)
	mu.Unlock()
	send("b")
	if n := len(a.JWTs()); n != 1 {
		t.Errorf("%d provider tokens within 49 minutes, want 1", n)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	send("c")
	if n := len(a.JWTs()); n != 2 {
		t.Errorf("%d provider tokens after 51 minutes, want 2", n)
	}
	// APNs says the token expired: one new token, one retry.
	a.ExpireJWTs()
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	send("d")
	if n := len(a.JWTs()); n != 3 {
		t.Errorf("%d provider tokens after expiry, want 3", n)
	}
}

func TestHangingServerIsUnknown(t *testing.T) {
	p, a := setup(t, func(c *apns.Config) { c.Timeout = 300 * time.Millisecond })
	a.SetReply("4a46", pushtest.Reply{Hang: true})
	start := time.Now()
	r := p.Send(t.Context(), []*channel.Message{ios("a", "4a46")})[0]
	if r.Outcome != channel.Unknown {
		t.Errorf("%+v, want in doubt", r)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s with a 300ms timeout", d)
	}
}

func TestSecretsStayHidden(t *testing.T) {
	a := pushtest.NewAPNs(t)
	cfg := apns.Config{TeamID: pushtest.TeamID, KeyID: pushtest.KeyID, Topic: pushtest.Topic, PrivateKeyP8: a.PrivateKeyP8}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	slog.New(slog.NewJSONHandler(&log, nil)).Info("config", "apns", cfg)
	broken := cfg
	broken.PrivateKeyP8 = bytes.Replace(a.PrivateKeyP8, []byte("MI"), []byte("XX"), 1)
	err := broken.Validate()
	if err == nil {
		t.Fatal("a broken key validated")
	}
	keyBody := strings.Split(string(a.PrivateKeyP8), "\n")[1]
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), log.String(), err.Error()} {
		if strings.Contains(s, keyBody[4:40]) || strings.Contains(s, "PRIVATE KEY") {
			t.Errorf("secret in output: %s", s)
		}
	}
}

func TestValidate(t *testing.T) {
	a := pushtest.NewAPNs(t)
	ok := apns.Config{TeamID: pushtest.TeamID, KeyID: pushtest.KeyID, Topic: pushtest.Topic, PrivateKeyP8: a.PrivateKeyP8}
	tests := []struct {
		name string
		edit func(*apns.Config)
		ok   bool
	}{
		{"defaults", func(*apns.Config) {}, true},
		{"no team", func(c *apns.Config) { c.TeamID = "" }, false},
		{"bad key id", func(c *apns.Config) { c.KeyID = "a b" }, false},
		{"no key", func(c *apns.Config) { c.PrivateKeyP8 = nil }, false},
		{"no topic", func(c *apns.Config) { c.Topic = "" }, false},
		{"plain http", func(c *apns.Config) { c.BaseURL = "http://api.push.apple.com" }, false},
		{"timeout", func(c *apns.Config) { c.Timeout = -time.Second }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			if err := cfg.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

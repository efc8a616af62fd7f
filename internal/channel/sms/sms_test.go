package sms

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
	"github.com/fanfare-dev/fanfare/internal/channel/sms/smstest"
)

// setup starts a fake API and a provider talking to it; edit adjusts the
// configuration.
func setup(t *testing.T, api *smstest.API, edit func(*Config)) *Provider {
	t.Helper()
	srv := smstest.Start(t, api)
	cfg := Config{BaseURL: srv.URL, AccountSID: smstest.AccountSID, AuthToken: smstest.AuthToken, From: "+15005550006"}
	if edit != nil {
		edit(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestConformance(t *testing.T) {
	channeltest.Conformance(t, func(t *testing.T) (channel.Provider, channeltest.Inspector) {
		api := &smstest.API{}
		return setup(t, api, nil), api
	})
}

func TestRequest(t *testing.T) {
	api := &smstest.API{}
	p := setup(t, api, func(c *Config) { c.StatusCallback = "https://hooks.example.com/sms?x=1" })
	msgs := []*channel.Message{
		{ID: "a", Channel: channel.SMS, To: "+33612345678", SMS: &channel.SMSContent{From: "Fanfare", Text: "Hello a"}},
		{ID: "b", Seq: 42, Channel: channel.SMS, To: "+33612345679", SMS: &channel.SMSContent{Text: "Hello b"}},
	}
	res := p.Send(t.Context(), msgs)
	for i, r := range res {
		if r.Outcome != channel.Sent || !strings.HasPrefix(r.ProviderID, "SM") {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	got := map[string]map[string]string{}
	for _, f := range api.Forms() {
		got[f.Get("Body")] = map[string]string{"To": f.Get("To"), "From": f.Get("From"), "StatusCallback": f.Get("StatusCallback")}
	}
	want := map[string]map[string]string{
		"Hello a": {"To": "+33612345678", "From": "Fanfare", "StatusCallback": "https://hooks.example.com/sms?message=a&x=1"},
		"Hello b": {"To": "+33612345679", "From": "+15005550006", "StatusCallback": "https://hooks.example.com/sms?message=b&seq=42&x=1"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("forms:\n got %v\nwant %v", got, want)
	}
}

func TestWrongTokenIsPermanent(t *testing.T) {
	api := &smstest.API{}
	srv := smstest.Start(t, api)
	p, err := New(Config{BaseURL: srv.URL, AccountSID: smstest.AccountSID, AuthToken: "wrong-token", From: "+15005550006"})
	if err != nil {
		t.Fatal(err)
	}
	r := p.Send(t.Context(), channeltest.Messages(channel.SMS, "m", 1))[0]
	if r.Outcome != channel.Permanent || !strings.Contains(r.Error, "20003") || strings.Contains(r.Error, "wrong-token") {
		t.Errorf("got %+v", r)
	}
}

func TestReplies(t *testing.T) {
	tests := []struct {
		name       string
		reply      func(w http.ResponseWriter)
		want       channel.Outcome
		deactivate bool
		errHas     string
		optedOut   bool
	}{
		{"invalid number", func(w http.ResponseWriter) {
			smstest.WriteError(w, 400, 21211, "The 'To' number +33612345678 is not a valid phone number.")
		}, channel.Permanent, true, "code 21211: The 'To' number", false},
		{"unsubscribed", func(w http.ResponseWriter) {
			smstest.WriteError(w, 400, 21610, "Attempt to send to unsubscribed recipient")
		}, channel.Permanent, false, "21610", true},
		{"landline", func(w http.ResponseWriter) { smstest.WriteError(w, 400, 21614, "not a mobile number") }, channel.Permanent, true, "21614", false},
		{"forbidden without body", func(w http.ResponseWriter) { w.WriteHeader(403) }, channel.Permanent, false, "status 403", false},
		{"throttled", func(w http.ResponseWriter) { smstest.WriteError(w, 429, 20429, "Too Many Requests") }, channel.Transient, false, "429", false},
		{"unavailable", func(w http.ResponseWriter) { w.WriteHeader(503) }, channel.Transient, false, "503", false},
		{"server error from the API", func(w http.ResponseWriter) { smstest.WriteError(w, 500, 20500, "Internal Server Error") }, channel.Transient, false, "20500", false},
		{"gateway error", func(w http.ResponseWriter) {
			w.WriteHeader(502)
			fmt.Fprint(w, "<html>Bad Gateway</html>")
		}, channel.Unknown, false, "502", false},
		{"garbage created", func(w http.ResponseWriter) {
			w.WriteHeader(201)
			fmt.Fprint(w, "<html>not json")
		}, channel.Unknown, false, "unreadable", false},
		{"created without sid", func(w http.ResponseWriter) {
			w.WriteHeader(201)
			fmt.Fprint(w, `{"status":"queued"}`)
		}, channel.Unknown, false, "unreadable", false},
		{"error echoing the token", func(w http.ResponseWriter) {
			smstest.WriteError(w, 400, 21600, "bad request from "+smstest.AuthToken+"\r\nX-Injected: 1")
		}, channel.Permanent, false, "[redacted]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &smstest.API{Reply: func(w http.ResponseWriter, _ *http.Request, _ url.Values) bool {
				tt.reply(w)
				return true
			}}
			p := setup(t, api, nil)
			r := p.Send(t.Context(), channeltest.Messages(channel.SMS, "m", 1))[0]
			if r.Outcome != tt.want || r.Deactivate != tt.deactivate || r.OptedOut != tt.optedOut {
				t.Errorf("outcome %q deactivate %t opted out %t (%s), want %q %t %t", r.Outcome, r.Deactivate, r.OptedOut, r.Error, tt.want, tt.deactivate, tt.optedOut)
			}
			if !strings.Contains(r.Error, tt.errHas) {
				t.Errorf("error %q does not mention %q", r.Error, tt.errHas)
			}
			if strings.Contains(r.Error, smstest.AuthToken) || strings.ContainsAny(r.Error, "\r\n") {
				t.Errorf("error %q holds the token or a line break", r.Error)
			}
			if r.ProviderID != "" {
				t.Errorf("provider ID %q on a failure", r.ProviderID)
			}
		})
	}
}

func TestTimeoutAfterSendingIsUnknown(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	api := &smstest.API{Reply: func(_ http.ResponseWriter, r *http.Request, _ url.Values) bool {
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return true
	}}
	p := setup(t, api, func(c *Config) { c.Timeout = 200 * time.Millisecond })
	r := p.Send(t.Context(), channeltest.Messages(channel.SMS, "m", 1))[0]
	if r.Outcome != channel.Unknown {
		t.Errorf("outcome %q (%s), want in_doubt", r.Outcome, r.Error)
	}
	if len(api.Offered()) != 1 {
		t.Errorf("server was offered %d messages", len(api.Offered()))
	}
}

func TestDropAfterBodyIsUnknown(t *testing.T) {
	api := &smstest.API{Reply: func(w http.ResponseWriter, _ *http.Request, _ url.Values) bool {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		conn.Close()
		return true
	}}
	p := setup(t, api, nil)
	res := p.Send(t.Context(), channeltest.Messages(channel.SMS, "m", 3))
	for i, r := range res {
		if r.Outcome != channel.Unknown {
			t.Errorf("result %d: outcome %q (%s), want in_doubt", i, r.Outcome, r.Error)
		}
		if strings.Contains(r.Error, smstest.AccountSID) {
			t.Errorf("error %q names the account", r.Error)
		}
	}
}

func TestUnreachableIsTransient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()
	for _, base := range []string{refused, "https://api.fanfare-test.invalid"} {
		t.Run(base, func(t *testing.T) {
			p, err := New(Config{BaseURL: base, AccountSID: smstest.AccountSID, AuthToken: smstest.AuthToken, From: "+15005550006", Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for i, r := range p.Send(t.Context(), channeltest.Messages(channel.SMS, "m", 2)) {
				if r.Outcome != channel.Transient {
					t.Errorf("result %d: outcome %q (%s), want retry", i, r.Outcome, r.Error)
				}
			}
		})
	}
}

func TestInvalidMessagesSendNothing(t *testing.T) {
	api := &smstest.API{}
	p := setup(t, api, func(c *Config) { c.From = "" })
	mk := func(to string, c *channel.SMSContent) *channel.Message {
		return &channel.Message{ID: to, Channel: channel.SMS, To: to, SMS: c}
	}
	msgs := []*channel.Message{
		mk("0612345678", &channel.SMSContent{From: "Fanfare", Text: "x"}),
		mk("+33612345678", nil),
		mk("+33612345678", &channel.SMSContent{Text: "no sender"}),
		mk("+33612345678", &channel.SMSContent{From: "Fanfare\r\n", Text: "x"}),
		mk("+33612345678", &channel.SMSContent{From: "Fanfare", Text: ""}),
		mk("+33612345678", &channel.SMSContent{From: "Fanfare", Text: "\xff"}),
		mk("+33612345678", &channel.SMSContent{From: "Fanfare", Text: strings.Repeat("é", 1601)}),
	}
	for i, r := range p.Send(t.Context(), msgs) {
		if r.Outcome != channel.Permanent || r.Error == "" {
			t.Errorf("message %d: outcome %q (%s), want failed", i, r.Outcome, r.Error)
		}
	}
	if n := len(api.Offered()); n != 0 {
		t.Errorf("server was offered %d messages", n)
	}
}

func TestCancelDuringRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	release := make(chan struct{})
	defer close(release)
	api := &smstest.API{Reply: func(_ http.ResponseWriter, r *http.Request, _ url.Values) bool {
		cancel()
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return true
	}}
	p := setup(t, api, func(c *Config) { c.Concurrency = 1 })
	res := p.Send(ctx, channeltest.Messages(channel.SMS, "m", 3))
	want := []channel.Outcome{channel.Unknown, channel.Transient, channel.Transient}
	for i, r := range res {
		if r.Outcome != want[i] {
			t.Errorf("result %d: outcome %q (%s), want %q", i, r.Outcome, r.Error, want[i])
		}
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		err  string
	}{
		{"defaults", Config{AccountSID: "AC1", AuthToken: "t"}, ""},
		{"no account", Config{AuthToken: "t"}, "account SID is required"},
		{"account with a slash", Config{AccountSID: "AC1/../x", AuthToken: "t"}, "letters and digits"},
		{"no token", Config{AccountSID: "AC1"}, "auth token is required"},
		{"plain http", Config{BaseURL: "http://api.example.com", AccountSID: "AC1", AuthToken: "t"}, "without TLS"},
		{"not a URL", Config{BaseURL: "api.example.com", AccountSID: "AC1", AuthToken: "t"}, "base URL"},
		{"bad from", Config{AccountSID: "AC1", AuthToken: "t", From: "+0123"}, "from"},
		{"bad callback", Config{AccountSID: "AC1", AuthToken: "t", StatusCallback: "/hook"}, "status callback"},
		{"bad concurrency", Config{AccountSID: "AC1", AuthToken: "t", Concurrency: -1}, "concurrency"},
		{"bad timeout", Config{AccountSID: "AC1", AuthToken: "t", Timeout: -time.Second}, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tt.cfg.BaseURL != DefaultBaseURL || tt.cfg.Concurrency != DefaultConcurrency || tt.cfg.Timeout != DefaultTimeout {
					t.Errorf("defaults not filled: %+v", tt.cfg)
				}
				return
			}
			if !errors.Is(err, channel.ErrConfig) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want ErrConfig mentioning %q", err, tt.err)
			}
		})
	}
}

func TestSettingsNeverPrinted(t *testing.T) {
	cfg := Config{AccountSID: smstest.AccountSID, AuthToken: smstest.AuthToken, From: "+15005550006"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cfg", "sms", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, &cfg), buf.String()} {
		if strings.Contains(s, smstest.AuthToken) || strings.Contains(s, smstest.AccountSID) {
			t.Errorf("printed settings: %s", s)
		}
	}
	bad := Config{AccountSID: smstest.AccountSID, AuthToken: smstest.AuthToken + "\n"}
	if err := bad.Validate(); err == nil || strings.Contains(err.Error(), smstest.AuthToken) {
		t.Errorf("validation error %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(smstest.AuthToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"FANFARE_SMS_ACCOUNT_SID":     smstest.AccountSID,
		"FANFARE_SMS_AUTH_TOKEN_FILE": tokenFile,
		"FANFARE_SMS_FROM":            "Fanfare",
		"FANFARE_SMS_CONCURRENCY":     "4",
		"FANFARE_SMS_TIMEOUT":         "3s",
	}
	cfg, err := FromEnv("FANFARE_SMS_", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.AuthToken != smstest.AuthToken || cfg.AccountSID != smstest.AccountSID || cfg.From != "Fanfare" ||
		cfg.Concurrency != 4 || cfg.Timeout != 3*time.Second || cfg.BaseURL != DefaultBaseURL {
		t.Errorf("got %+v (token read %t)", cfg, cfg.AuthToken == smstest.AuthToken)
	}

	env["FANFARE_SMS_AUTH_TOKEN_FILE"] = filepath.Join(dir, "missing")
	env["FANFARE_SMS_TIMEOUT"] = "soon"
	_, err = FromEnv("FANFARE_SMS_", func(k string) string { return env[k] })
	if !errors.Is(err, channel.ErrConfig) || !strings.Contains(err.Error(), "AUTH_TOKEN_FILE") || !strings.Contains(err.Error(), "TIMEOUT") {
		t.Errorf("error %v", err)
	}
}

func TestParseStatusCallback(t *testing.T) {
	tests := []struct {
		name string
		form string
		want StatusUpdate
		err  bool
		path string // default /hooks/sms
	}{
		{"delivered", "MessageSid=SM123&MessageStatus=delivered&AccountSid=AC1", StatusUpdate{MessageSID: "SM123", Status: "delivered"}, false, ""},
		{"undelivered", "MessageSid=SM123&MessageStatus=undelivered&ErrorCode=30003", StatusUpdate{MessageSID: "SM123", Status: "undelivered", ErrorCode: "30003"}, false, ""},
		{"failed", "MessageSid=SM9&MessageStatus=failed&ErrorCode=30008", StatusUpdate{MessageSID: "SM9", Status: "failed", ErrorCode: "30008"}, false, ""},
		{"queued", "MessageSid=SM9&MessageStatus=queued", StatusUpdate{MessageSID: "SM9", Status: "queued"}, false, ""},
		{"no sid", "MessageStatus=sent", StatusUpdate{}, true, ""},
		{"bad sid", "MessageSid=SM%0D%0A1&MessageStatus=sent", StatusUpdate{}, true, ""},
		{"unknown status", "MessageSid=SM1&MessageStatus=exploded", StatusUpdate{}, true, ""},
		{"bad error code", "MessageSid=SM1&MessageStatus=failed&ErrorCode=%3Cscript%3E", StatusUpdate{}, true, ""},
		{"message named", "MessageSid=SM1&MessageStatus=sent", StatusUpdate{MessageSID: "SM1", MessageID: "1:sms:7", Seq: 42, Status: "sent"}, false, "/hooks/sms?message=1%3Asms%3A7&seq=42"},
		{"negative seq", "MessageSid=SM1&MessageStatus=sent", StatusUpdate{}, true, "/hooks/sms?message=1%3Asms%3A7&seq=-1"},
		{"seq not a number", "MessageSid=SM1&MessageStatus=sent", StatusUpdate{}, true, "/hooks/sms?seq=1e3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, cmp.Or(tt.path, "/hooks/sms"), strings.NewReader(tt.form))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			got, err := ParseStatusCallback(r)
			if tt.err {
				if !errors.Is(err, ErrCallback) {
					t.Errorf("error %v, want ErrCallback", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v, want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := ParseStatusCallback(httptest.NewRequest(http.MethodGet, "/hooks/sms?MessageSid=SM1&MessageStatus=sent", nil)); err == nil {
		t.Error("GET accepted")
	}
}

func TestValidateSignature(t *testing.T) {
	// Twilio's documented example.
	docForm := url.Values{
		"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"},
	}
	const docURL = "https://mycompany.com/myapp.php?foo=1&bar=2"
	if !ValidateSignature("12345", docURL, docForm, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=") {
		t.Error("documented example refused")
	}

	// A signature computed by hand: the URL, then keys in sorted order,
	// each followed by its value.
	const token, hook = "tok", "https://hooks.example.com/sms?run=7"
	form := url.Values{"MessageStatus": {"delivered"}, "MessageSid": {"SM1"}, "AccountSid": {"AC1"}}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(hook + "AccountSidAC1" + "MessageSidSM1" + "MessageStatusdelivered"))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !ValidateSignature(token, hook, form, sig) {
		t.Error("hand-computed signature refused")
	}
	tampered := url.Values{"MessageStatus": {"failed"}, "MessageSid": {"SM1"}, "AccountSid": {"AC1"}}
	for name, ok := range map[string]bool{
		"tampered form": ValidateSignature(token, hook, tampered, sig),
		"other URL":     ValidateSignature(token, "https://hooks.example.com/sms", form, sig),
		"other token":   ValidateSignature("other", hook, form, sig),
		"empty":         ValidateSignature(token, hook, form, ""),
		"empty token":   ValidateSignature("", hook, form, Signature("", hook, form)),
	} {
		if ok {
			t.Errorf("%s accepted", name)
		}
	}
}

// TestReceipt: what a final status says of a message, by its error code.
func TestReceipt(t *testing.T) {
	for _, tc := range []struct {
		name, status, code, want string
	}{
		{"delivered", "delivered", "", ReceiptDelivered},
		{"interim", "sent", "", ""},
		{"read after delivery", "read", "", ""},
		{"unknown handset", "undelivered", "30005", ReceiptDead},
		{"landline", "undelivered", "30006", ReceiptDead},
		{"invalid number", "failed", "21211", ReceiptDead},
		{"unreachable handset", "undelivered", "30003", ReceiptUnreachable},
		{"undelivered, no code", "undelivered", "", ReceiptUnreachable},
		{"undelivered, unknown code", "undelivered", "63016", ReceiptUnreachable},
		{"filtered", "undelivered", "30007", ReceiptRefused},
		{"failed, unknown code", "failed", "12345", ReceiptRefused},
	} {
		if got := (StatusUpdate{Status: tc.status, ErrorCode: tc.code}).Receipt(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

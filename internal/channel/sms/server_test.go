package sms

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "s3cr3t-token-0123456789"
	testPath  = "/2010-04-01/Accounts/" + testSID + "/Messages.json"
)

// fakeAPI speaks the Messages API: it checks the credentials, the path and
// the form, and records what it was offered and what it created.
type fakeAPI struct {
	// reply, when set, answers instead of creating the message; it
	// returns false to fall through to creating it.
	reply func(w http.ResponseWriter, r *http.Request, form url.Values) bool

	mu       sync.Mutex
	offered  []string
	received []channeltest.Delivery
	forms    []url.Values
	seq      atomic.Int64
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != testPath {
		apiReply(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	if sid, token, ok := r.BasicAuth(); !ok || sid != testSID || token != testToken {
		apiReply(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if err := r.ParseForm(); err != nil {
		apiReply(w, http.StatusBadRequest, 21600, "bad form")
		return
	}
	form := r.PostForm
	f.mu.Lock()
	f.offered = append(f.offered, form.Get("To"))
	f.forms = append(f.forms, form)
	f.mu.Unlock()
	if f.reply != nil && f.reply(w, r, form) {
		return
	}
	if form.Get("From") == "" || form.Get("Body") == "" {
		apiReply(w, http.StatusBadRequest, 21602, "Message body is required")
		return
	}
	sid := fmt.Sprintf("SM%032d", f.seq.Add(1))
	f.mu.Lock()
	// The conformance messages' bodies are "Hello <id>".
	f.received = append(f.received, channeltest.Delivery{
		ID: strings.TrimPrefix(form.Get("Body"), "Hello "),
		To: form.Get("To"),
	})
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"sid": sid, "status": "queued", "to": form.Get("To")})
}

// apiReply writes the API's JSON error reply.
func apiReply(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"code": code, "message": msg, "status": status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
	})
}

func (f *fakeAPI) Received() []channeltest.Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]channeltest.Delivery(nil), f.received...)
}

func (f *fakeAPI) Offered() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.offered...)
}

func (f *fakeAPI) Forms() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.forms...)
}

// setup starts a fake API and a provider talking to it; edit adjusts the
// configuration.
func setup(t *testing.T, api *fakeAPI, edit func(*Config)) *Provider {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	cfg := Config{BaseURL: srv.URL, AccountSID: testSID, AuthToken: testToken, From: "+15005550006"}
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

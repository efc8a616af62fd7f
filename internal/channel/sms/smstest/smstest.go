package smstest

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

// The account the server trusts.
const (
	AccountSID = "AC0123456789abcdef0123456789abcdef"
	AuthToken  = "s3cr3t-token-0123456789"
	// Path is the account's Messages resource.
	Path = "/2010-04-01/Accounts/" + AccountSID + "/Messages.json"
)

// API speaks the Messages API: it checks the credentials, the path and the
// form, and records what it was offered and what it created. Its zero value
// is ready to serve.
type API struct {
	// Reply, when set, answers instead of creating the message; it
	// returns false to fall through to creating it.
	Reply func(w http.ResponseWriter, r *http.Request, form url.Values) bool

	mu       sync.Mutex
	offered  []string
	received []channeltest.Delivery
	forms    []url.Values
	seq      atomic.Int64
	// discard keeps nothing but the count of messages created.
	discard atomic.Bool
}

// Start serves api on a local port until tb ends and returns the server;
// its URL is the provider's base URL.
func Start(tb testing.TB, api *API) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(api)
	tb.Cleanup(srv.Close)
	return srv
}

// ServeHTTP answers a request to create a message.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != Path {
		WriteError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	if sid, token, ok := r.BasicAuth(); !ok || sid != AccountSID || token != AuthToken {
		WriteError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if err := r.ParseForm(); err != nil {
		WriteError(w, http.StatusBadRequest, 21600, "bad form")
		return
	}
	form := r.PostForm
	keep := !a.discard.Load()
	if keep {
		a.mu.Lock()
		a.offered = append(a.offered, form.Get("To"))
		a.forms = append(a.forms, form)
		a.mu.Unlock()
	}
	if a.Reply != nil && a.Reply(w, r, form) {
		return
	}
	switch {
	case form.Get("To") == "":
		WriteError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required")
		return
	case form.Get("From") == "":
		WriteError(w, http.StatusBadRequest, 21603, "A 'From' phone number is required")
		return
	case form.Get("Body") == "":
		WriteError(w, http.StatusBadRequest, 21602, "Message body is required")
		return
	}
	sid := fmt.Sprintf("SM%032d", a.seq.Add(1))
	if keep {
		a.mu.Lock()
		// The conformance messages' bodies are "Hello <id>".
		a.received = append(a.received, channeltest.Delivery{
			ID: strings.TrimPrefix(form.Get("Body"), "Hello "),
			To: form.Get("To"),
		})
		a.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"sid": sid, "status": "queued", "to": form.Get("To")})
}

// WriteError writes the API's JSON error reply.
func WriteError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"code": code, "message": msg, "status": status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
	})
}

// Discard makes the server keep nothing of the requests it serves but the
// count of messages created (Created): Received, Offered and Forms stay
// empty. Benchmarks sending millions of messages use it.
func (a *API) Discard() { a.discard.Store(true) }

// Created counts the messages created, recorded or not.
func (a *API) Created() int64 { return a.seq.Load() }

// Received lists the messages created.
func (a *API) Received() []channeltest.Delivery {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]channeltest.Delivery(nil), a.received...)
}

// Offered lists the recipient of every request that reached the form.
func (a *API) Offered() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.offered...)
}

// Forms lists the forms of every request that reached the form.
func (a *API) Forms() []url.Values {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]url.Values(nil), a.forms...)
}

package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// lines keeps every log record's message, level and attributes.
type lines struct {
	mu  sync.Mutex
	got []string
}

func (l *lines) Enabled(context.Context, slog.Level) bool { return true }
func (l *lines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *lines) WithGroup(string) slog.Handler            { return l }
func (l *lines) Handle(_ context.Context, r slog.Record) error {
	b := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool { b += " " + a.Key + "=" + a.Value.String(); return true })
	l.mu.Lock()
	l.got = append(l.got, b)
	l.mu.Unlock()
	return nil
}

// TestRecipientLinksAreLoggedWithoutTheirToken: the request log never
// holds a recipient's link token (an unsubscribe link is a capability);
// it shows the route, and opens and clicks at debug.
func TestRecipientLinksAreLoggedWithoutTheirToken(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "duckdb")
	log := &lines{}
	h := newAPI(t, api.Config{Service: service.New(service.Config{Store: s, Log: slog.New(slog.DiscardHandler)}), Token: token, Version: "test", Log: slog.New(log)})
	const secret = "k0123abcd.SECRETxTOKENxVALUE"
	for _, path := range []string{"/u/" + secret, "/t/o/" + secret, "/t/c/" + secret, "/api/health"} {
		req, _ := http.NewRequest(http.MethodGet, path, nil)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	want := []string{"INFO http method=GET path=/u/…", "DEBUG http method=GET path=/t/o/…", "DEBUG http method=GET path=/t/c/…", "INFO http method=GET path=/api/health"}
	var got []string
	for _, l := range log.got {
		if strings.Contains(l, secret) || strings.Contains(l, "SECRET") {
			t.Errorf("a log line holds the token: %s", l)
		}
		if strings.Contains(l, " http ") {
			got = append(got, l[:strings.Index(l, " status=")])
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log lines:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

package sms

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
	"github.com/fanfare-dev/fanfare/internal/channel/sms/smstest"
)

// TestRetryAfter: the wait the API asks for comes back with the result.
func TestRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		header string
		want   time.Duration
	}{
		{"429 in seconds", 429, "30", 30 * time.Second},
		{"503 as a date", 503, time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat), 2 * time.Minute},
		{"429 without", 429, "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := &smstest.API{Reply: func(w http.ResponseWriter, _ *http.Request, _ url.Values) bool {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				smstest.WriteError(w, tt.status, 20429, "Too Many Requests")
				return true
			}}
			r := setup(t, api, nil).Send(t.Context(), channeltest.Messages(channel.SMS, "m", 1))[0]
			if r.Outcome != channel.Transient || r.RetryAfter > tt.want || r.RetryAfter < tt.want-2*time.Second {
				t.Errorf("%+v, want retry after %v", r, tt.want)
			}
		})
	}
}

package fcm_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/push/pushtest"
)

// TestRetryAfter: the wait FCM asks for comes back with the result.
func TestRetryAfter(t *testing.T) {
	p, f := setup(t, nil)
	f.SetReply("busy", pushtest.Reply{Status: 429, Body: `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"errorCode":"QUOTA_EXCEEDED"}]}}`, Header: http.Header{"Retry-After": {"45"}}})
	f.SetReply("down", pushtest.Reply{Status: 503, Body: `{"error":{"code":503,"status":"UNAVAILABLE"}}`})
	res := p.Send(t.Context(), []*channel.Message{android("a", "busy"), android("b", "down")})
	if r := res[0]; r.Outcome != channel.Transient || r.RetryAfter != 45*time.Second {
		t.Errorf("429 with Retry-After 45: %+v", r)
	}
	if r := res[1]; r.Outcome != channel.Transient || r.RetryAfter != 0 {
		t.Errorf("503 without Retry-After: %+v", r)
	}
}

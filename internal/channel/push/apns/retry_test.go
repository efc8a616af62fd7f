package apns_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/push/pushtest"
)

// TestRetryAfter: the wait APNs asks for comes back with the result.
func TestRetryAfter(t *testing.T) {
	p, a := setup(t, nil)
	a.SetReply("b5", pushtest.Reply{Status: 429, Body: `{"reason":"TooManyRequests"}`, Header: http.Header{"Retry-After": {"120"}}})
	a.SetReply("d0", pushtest.Reply{Status: 503, Body: `{"reason":"ServiceUnavailable"}`, Header: http.Header{"Retry-After": {time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)}}})
	a.SetReply("c0", pushtest.Reply{Status: 500, Body: `{"reason":"InternalServerError"}`})
	res := p.Send(t.Context(), []*channel.Message{ios("a", "b5"), ios("b", "d0"), ios("c", "c0")})
	if r := res[0]; r.Outcome != channel.Transient || r.RetryAfter != 2*time.Minute {
		t.Errorf("429 with Retry-After 120: %+v", r)
	}
	if r := res[1]; r.Outcome != channel.Transient || r.RetryAfter < 58*time.Second || r.RetryAfter > time.Minute {
		t.Errorf("503 with a Retry-After date a minute ahead: %+v", r)
	}
	if r := res[2]; r.Outcome != channel.Transient || r.RetryAfter != 0 {
		t.Errorf("500 without Retry-After: %+v", r)
	}
}

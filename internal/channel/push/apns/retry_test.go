package apns_test

import (
	"fmt"
	"net/http"
	"strings"
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

// TestWholeBatchOfBadTokensIsASetupError: APNs answers BadDeviceToken to
// tokens of the other environment too; a batch refused whole that way
// says the base URL is wrong: its messages wait, no token is deactivated.
func TestWholeBatchOfBadTokensIsASetupError(t *testing.T) {
	p, a := setup(t, nil)
	var msgs []*channel.Message
	for i, tok := range []string{"a1", "a2", "a3", "a4"} {
		a.SetReply(tok, pushtest.Reply{Status: 400, Body: `{"reason":"BadDeviceToken"}`})
		msgs = append(msgs, ios(fmt.Sprint("m", i), tok))
	}
	for _, r := range p.Send(t.Context(), msgs) {
		if r.Outcome != channel.Transient || !r.Setup || r.Deactivate || !strings.Contains(r.Error, "environment") {
			t.Errorf("%+v, want a setup error that waits", r)
		}
	}
	// With one good token among them, each bad one fails alone.
	res := p.Send(t.Context(), append(msgs[:3:3], ios("ok", "a11e")))
	for _, r := range res[:3] {
		if r.Outcome != channel.Permanent || r.Setup || r.Deactivate {
			t.Errorf("%+v, want failed, the token kept", r)
		}
	}
	if res[3].Outcome != channel.Sent {
		t.Errorf("good token: %+v", res[3])
	}
}

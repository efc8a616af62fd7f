package apns_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// TestBackgroundPush: a data-only push goes out as APNs wants a
// background push (type background, priority 5, content-available 1,
// nothing that shows), which wakes the app; expiration and collapse ID
// become their headers. The fake APNs refuses what Apple refuses.
func TestBackgroundPush(t *testing.T) {
	p, a := setup(t, nil)
	six := 6 * time.Hour
	zero := time.Duration(0)
	marked := ios("bg-1", "b1")
	marked.Push = &channel.PushContent{Background: true, Data: map[string]string{"sync": "inbox"}, Expiration: &six, CollapseID: "sync"}
	dataOnly := ios("bg-2", "b2")
	dataOnly.Push = &channel.PushContent{Data: map[string]string{"sync": "inbox"}, Priority: "high", Expiration: &zero}
	alert := ios("al-1", "a1")
	alert.Push.CollapseID = "score"
	start := time.Now()
	for _, r := range p.Send(t.Context(), []*channel.Message{marked, dataOnly, alert}) {
		if r.Outcome != channel.Sent {
			t.Fatalf("%+v", r)
		}
	}
	for i, h := range a.Headers() {
		payload := a.Payloads()[i]
		aps := fmt.Sprint(payload["aps"])
		switch id := payload["fanfare_message_id"]; id {
		case "bg-1", "bg-2":
			if h.Get("apns-push-type") != "background" || h.Get("apns-priority") != "5" || aps != "map[content-available:1]" || payload["sync"] != "inbox" {
				t.Errorf("%s: headers %v, payload %v", id, h, payload)
			}
			exp, _ := strconv.ParseInt(h.Get("apns-expiration"), 10, 64)
			if id == "bg-1" && (exp < start.Add(six).Unix() || exp > time.Now().Add(six).Unix() || h.Get("apns-collapse-id") != "sync") {
				t.Errorf("%s: expiration %q collapse id %q", id, h.Get("apns-expiration"), h.Get("apns-collapse-id"))
			}
			if id == "bg-2" && h.Get("apns-expiration") != "0" {
				t.Errorf("%s: expiration %q, want 0 (once, at once)", id, h.Get("apns-expiration"))
			}
		case "al-1":
			if h.Get("apns-push-type") != "alert" || h.Get("apns-priority") != "10" || h.Get("apns-collapse-id") != "score" || h.Get("apns-expiration") != "" {
				t.Errorf("%s: headers %v", id, h)
			}
		default:
			t.Errorf("unexpected message %v", id)
		}
	}
}

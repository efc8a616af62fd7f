package fcm_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// TestApplePartOfMessages: FCM hands a message for an Apple device to
// APNs with the apns.headers Fanfare would send itself: a data-only push
// goes as a background push (no notification, priority 5,
// content-available 1), with its expiration and collapse ID. The fake FCM
// refuses what FCM refuses.
func TestApplePartOfMessages(t *testing.T) {
	p, f := setup(t, nil)
	hour := time.Hour
	bg := android("bg-1", "t1")
	bg.Push = &channel.PushContent{Background: true, Data: map[string]string{"sync": "inbox"}, Expiration: &hour, CollapseID: "sync"}
	alert := android("al-1", "t2")
	alert.Push.Priority = "normal"
	for _, r := range p.Send(t.Context(), []*channel.Message{bg, alert}) {
		if r.Outcome != channel.Sent {
			t.Fatalf("%+v", r)
		}
	}
	byID := map[string]map[string]any{}
	for _, m := range f.Payloads() {
		byID[m["data"].(map[string]any)["fanfare_message_id"].(string)] = m
	}
	m := byID["bg-1"]
	if _, shows := m["notification"]; shows {
		t.Errorf("background push with a notification: %v", m)
	}
	headers := m["apns"].(map[string]any)["headers"].(map[string]any)
	exp := fmt.Sprint(time.Now().Add(time.Hour).Unix())
	if headers["apns-push-type"] != "background" || headers["apns-priority"] != "5" || headers["apns-collapse-id"] != "sync" ||
		fmt.Sprint(headers["apns-expiration"])[:8] != exp[:8] || fmt.Sprint(m["apns"]) == "" ||
		!strings.Contains(fmt.Sprint(m["apns"]), "aps:map[content-available:1]") {
		t.Errorf("background push: apns %v", m["apns"])
	}
	headers = byID["al-1"]["apns"].(map[string]any)["headers"].(map[string]any)
	if headers["apns-push-type"] != "alert" || headers["apns-priority"] != "5" {
		t.Errorf("alert at normal priority: apns headers %v", headers)
	}
}

// TestReservedDataKeysRefused: a data key FCM reserves fails the message,
// named, before any request.
func TestReservedDataKeysRefused(t *testing.T) {
	p, f := setup(t, nil)
	var msgs []*channel.Message
	for i, k := range []string{"from", "google.c.a.e", "gcm.n.e", "message_type", "collapse_key", "notification"} {
		m := android(fmt.Sprint("r", i), fmt.Sprint("tok", i))
		m.Push.Data = map[string]string{k: "x"}
		msgs = append(msgs, m)
	}
	for i, r := range p.Send(t.Context(), msgs) {
		if k := fmt.Sprintf("%q", keyOf(msgs[i])); r.Outcome != channel.Permanent || !strings.Contains(r.Error, k) {
			t.Errorf("%+v, want failed naming %s", r, k)
		}
	}
	if n := len(f.Offered()); n != 0 {
		t.Errorf("FCM was offered %d messages", n)
	}
}

func keyOf(m *channel.Message) string {
	for k := range m.Push.Data {
		return k
	}
	return ""
}

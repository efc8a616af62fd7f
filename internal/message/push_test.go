package message

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestPushDataKeysReservedByFCM: a data key FCM reserves is caught at
// validation, named, rather than refused by FCM for every recipient.
func TestPushDataKeysReservedByFCM(t *testing.T) {
	m, _ := shopModel(t)
	for _, k := range []string{"from", "message_type", "google.c.a.e", "gcm.notification.title", "notification", "collapse_key", "Google.x", "aps"} {
		_, err := Compile(m, "customers", ChannelPush, Push{Body: "Hi", Data: map[string]string{k: "x", "fine": "y"}}, Env{})
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Field != "data."+k || !strings.Contains(ve.Problems[0].Message, `"`+k+`"`) {
			t.Errorf("data key %q: %v, want one problem naming it", k, err)
		}
	}
	if _, err := Compile(m, "customers", ChannelPush, Push{Body: "Hi", Data: map[string]string{"fromage": "brie", "message": "x", "googled": "y"}}, Env{}); err != nil {
		t.Errorf("ordinary keys refused: %v", err)
	}
}

func TestBackgroundPush(t *testing.T) {
	m, _ := shopModel(t)
	tpl, err := Compile(m, "customers", ChannelPush, Push{Background: true, Data: map[string]string{"sync": "{{ profile.customer_id }}"},
		IOS: &IOSOptions{Expiration: "6h", CollapseID: "sync-{{ profile.customer_id }}"}}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := tpl.RenderPush(sampleCustomer())
	if err != nil {
		t.Fatal(err)
	}
	if !p.Background || p.Expiration == nil || *p.Expiration != 6*time.Hour || p.CollapseID != "sync-1" || p.Data["sync"] != "1" || p.Title != "" || p.Body != "" {
		t.Errorf("push = %+v", p)
	}
	badge := 1
	_, err = Compile(m, "customers", ChannelPush, Push{Background: true, Title: "Hi", IOS: &IOSOptions{Badge: &badge, Sound: "default"}}, Env{})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 3 || ve.Problems[0].Field != "ios.badge" || ve.Problems[2].Field != "title" {
		t.Errorf("background push that shows something: %v", err)
	}
	if _, err := Compile(m, "customers", ChannelPush, Push{Data: map[string]string{"k": "v"}}, Env{}); err == nil || !strings.Contains(err.Error(), "background") {
		t.Errorf("nothing to show without background: %v", err)
	}
}

func TestPushIOSOptionsChecked(t *testing.T) {
	m, _ := shopModel(t)
	for _, tt := range []struct {
		ios   IOSOptions
		field string
	}{
		{IOSOptions{Expiration: "tomorrow"}, "ios.expiration"},
		{IOSOptions{Expiration: "-1h"}, "ios.expiration"},
		{IOSOptions{Expiration: "700h"}, "ios.expiration"},
		{IOSOptions{CollapseID: strings.Repeat("c", 65)}, "ios.collapse_id"},
	} {
		_, err := Compile(m, "customers", ChannelPush, Push{Body: "Hi", IOS: &tt.ios}, Env{})
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Field != tt.field {
			t.Errorf("%+v: %v, want a problem on %s", tt.ios, err, tt.field)
		}
	}
	tpl, err := Compile(m, "customers", ChannelPush, Push{Body: "Hi", IOS: &IOSOptions{Expiration: "0s", CollapseID: "{{ profile.first_name }}" + strings.Repeat("c", 62)}}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	var re *RenderError
	if _, err := tpl.RenderPush(sampleCustomer()); !errors.As(err, &re) || re.Field != "ios.collapse_id" {
		t.Errorf("a rendered collapse ID of 65 bytes: %v", err)
	}
}

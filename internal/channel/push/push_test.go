package push_test

import (
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
	"github.com/fanfare-dev/fanfare/internal/channel/push"
	"github.com/fanfare-dev/fanfare/internal/channel/push/apns"
	"github.com/fanfare-dev/fanfare/internal/channel/push/fcm"
	"github.com/fanfare-dev/fanfare/internal/channel/push/pushtest"
)

// setup starts fake FCM and APNs servers and providers for them; a nil
// provider is left out.
func setup(t *testing.T, withFCM, withAPNs bool) (channel.Provider, *pushtest.FCM, *pushtest.APNs) {
	t.Helper()
	f, a := pushtest.NewFCM(t), pushtest.NewAPNs(t)
	var fp *fcm.Provider
	var ap *apns.Provider
	var err error
	if withFCM {
		fp, err = fcm.New(fcm.Config{ServiceAccountJSON: f.ServiceAccount, BaseURL: f.Server.URL,
			HTTPClient: f.Server.Client(), Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
	}
	if withAPNs {
		ap, err = apns.New(apns.Config{TeamID: pushtest.TeamID, KeyID: pushtest.KeyID, Topic: pushtest.Topic,
			PrivateKeyP8: a.PrivateKeyP8, BaseURL: a.Server.URL, HTTPClient: a.Server.Client(), Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
	}
	p := push.New(fp, ap)
	t.Cleanup(func() { _ = p.Close() })
	return p, f, a
}

func TestConformance(t *testing.T) {
	channeltest.Conformance(t, func(t *testing.T) (channel.Provider, channeltest.Inspector) {
		p, _, a := setup(t, true, true)
		return p, a
	})
}

func TestDispatch(t *testing.T) {
	p, f, a := setup(t, true, true)
	msgs := channeltest.Messages(channel.Push, "d", 6)
	for i, m := range msgs {
		if i%2 == 1 {
			m.Platform = "android"
		}
	}
	msgs[5].Platform = "windows"
	res := p.Send(t.Context(), msgs)
	for i, r := range res {
		if r.ID != msgs[i].ID {
			t.Errorf("result %d is %q, want %q", i, r.ID, msgs[i].ID)
		}
		want := channel.Sent
		if i == 5 {
			want = channel.Permanent
		}
		if r.Outcome != want {
			t.Errorf("result %d: %+v, want %s", i, r, want)
		}
	}
	if got := res[0].ProviderID; got != apns.ID("d-0") {
		t.Errorf("iOS message went elsewhere: provider id %q", got)
	}
	if n, m := len(a.Received()), len(f.Received()); n != 3 || m != 2 {
		t.Errorf("APNs got %d, FCM %d; want 3 and 2", n, m)
	}
}

func TestMissingPlatformProvider(t *testing.T) {
	p, f, _ := setup(t, true, false)
	msgs := channeltest.Messages(channel.Push, "m", 2)
	msgs[1].Platform = "android"
	res := p.Send(t.Context(), msgs)
	if r := res[0]; r.Outcome != channel.Permanent || r.Error == "" || r.Deactivate {
		t.Errorf("iOS without APNs: %+v", r)
	}
	if r := res[1]; r.Outcome != channel.Sent {
		t.Errorf("android: %+v", r)
	}
	if n := len(f.Received()); n != 1 {
		t.Errorf("FCM got %d, want 1", n)
	}
}

package engine

import (
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const appModel = `entities:
  customers:
    key: customer_id
    attributes:
      customer_id: integer
      first_name: string
    targeting:
      push: {link: devices, token: push_token, platform: platform, active: active}
  devices:
    key: device_id
    attributes:
      device_id: string
      customer_id: integer
      push_token: string
      platform: {type: enum, values: [ios, android]}
      active: boolean
    links:
      customer: {entity: customers, columns: [customer_id], reverse: devices}
`

// TestPushSkipsInactiveDevices: a push activity writes one message per
// device; devices the model marks inactive are excluded with their reason,
// and an inactive device sharing a token with an active one does not make
// the active one a duplicate. A token listed twice for one customer is one
// message. Slices of one key (the embedded store's outbox is written a
// slice of keys at a time) put a token's copies in different slices.
func TestPushSkipsInactiveDevices(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		loadModel(t, s, []byte(appModel), map[string]string{
			"customers": "customer_id,first_name\n1,Ann\n2,Bob\n3,Cy\n",
			"devices":   "device_id,customer_id,push_token,platform,active\nd1,1,tok-a,ios,true\nd2,1,tok-b,android,false\nd3,2,tok-a,ios,false\nd4,2,tok-c,android,\nd5,2,tok-c,android,true\n",
		})
		eng := newEngine(s)
		eng.OutboxSlice = 1
		runCompleted(t, eng, sendToAll("app", "customers", "push", `{type: push, title: 'Hi {{ profile.first_name }}', body: 'New in'}`))
		got := outboxLines(t, s, `SELECT message_id, coalesce(address, ''), coalesce(platform, ''), status, coalesce(reason, '') FROM ff_outbox ORDER BY message_id`)
		want := []string{
			"1|tok-a tok-a ios pending ",
			"1|tok-b tok-b android excluded inactive_device",
			"2|tok-a tok-a ios excluded inactive_device",
			"2|tok-c tok-c android pending ", // an unknown activity state counts as active
			"3|   excluded no_address",
		}
		sameLines(t, "outbox", got, want)
	})
}

// TestReservedPushDataKeysRefusedAtValidation: a data key FCM reserves
// is named when the campaign is validated, not refused by FCM at send
// time for every recipient.
func TestReservedPushDataKeysRefusedAtValidation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		loadModel(t, s, []byte(appModel), map[string]string{"customers": "customer_id,first_name\n1,Ann\n"})
		eng := newEngine(s)
		doc := sendToAll("app", "customers", "push", `{type: push, body: 'New in', data: {from: 'shop', 'google.c.a.e': '1', order: '{{ profile.customer_id }}'}}`)
		_, err := eng.Validate(t.Context(), []byte(doc))
		if err == nil {
			t.Fatal("validation passed")
		}
		for _, want := range []string{`activities.push.data.from: data key "from" is reserved by FCM`, `activities.push.data.google.c.a.e`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q missing from %v", want, err)
			}
		}
		if strings.Contains(err.Error(), "order") {
			t.Errorf("an ordinary key refused: %v", err)
		}
	})
}

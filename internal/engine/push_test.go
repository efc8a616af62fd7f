package engine

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
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
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := schema.Apply(ctx, s, []byte(appModel), schema.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		m, err := datamodel.Parse([]byte(appModel))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct{ entity, body string }{
			{"customers", "customer_id,first_name\n1,Ann\n2,Bob\n3,Cy\n"},
			{"devices", "device_id,customer_id,push_token,platform,active\nd1,1,tok-a,ios,true\nd2,1,tok-b,android,false\nd3,2,tok-a,ios,false\nd4,2,tok-c,android,\nd5,2,tok-c,android,true\n"},
		} {
			if _, err := ingest.Import(ctx, s, m, f.entity, f.entity+".csv", strings.NewReader(f.body), ingest.Options{Format: ingest.FormatCSV}); err != nil {
				t.Fatal(err)
			}
		}
		started := time.Now()
		eng := New(Config{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Lease: 5 * time.Second, Now: func() time.Time { return testNow.Add(time.Since(started)) }})
		eng.Poll = 10 * time.Millisecond
		eng.OutboxSlice = 1
		doc := `name: app
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'all'}
  push: {type: push, title: 'Hi {{ profile.first_name }}', body: 'New in'}
transitions:
  - start -> all
  - all -> push
`
		st := runToEnd(t, eng, doc, ModeLive)
		if st.Run.Status != RunCompleted {
			t.Fatalf("run: %s %s", st.Run.Status, st.Run.Error)
		}
		rows, err := s.DB.Query(`SELECT message_id, coalesce(address, ''), coalesce(platform, ''), status, coalesce(reason, '') FROM ff_outbox ORDER BY message_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var id, addr, platform, status, reason string
			if err := rows.Scan(&id, &addr, &platform, &status, &reason); err != nil {
				t.Fatal(err)
			}
			got = append(got, strings.Join([]string{strings.TrimPrefix(id, "1:push:"), addr, platform, status, reason}, " "))
		}
		want := []string{
			"1|tok-a tok-a ios pending ",
			"1|tok-b tok-b android excluded inactive_device",
			"2|tok-a tok-a ios excluded inactive_device",
			"2|tok-c tok-c android pending ", // an unknown activity state counts as active
			"3|   excluded no_address",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("outbox:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

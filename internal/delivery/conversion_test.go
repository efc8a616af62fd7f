package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/sandbox"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// upliftCampaign sends to a random 70 % of the customers; the remainder
// ends, unsent: the control group.
const upliftCampaign = `name: uplift
dimension: customers
report:
  conversions:
    - {name: purchase_7d, query: 'exists(purchases where purchased_at between $sent_at and $window_end)', within: 7d}
activities:
  start: {type: start}
  all: {type: build_audience, query: all}
  groups:
    type: split
    subsets:
      - {name: treated, limit: 70%, order: random}
    remainder: true
  mail: {type: email, from: 'Shop <shop@example.com>', subject: 'Hi', html: '<p>Hi</p>'}
  stop: {type: end}
transitions:
  - start -> all
  - all -> groups
  - groups.treated -> mail
  - groups.remainder -> stop
`

// TestUpliftOfAControlGroup runs a campaign with a random control group
// over 400 customers, sends its emails at different times, plants
// purchases at known times around each member's reference time (its own
// send time; the control's: the median send time) — before it, at it,
// inside the window, at its end and after it — and checks the report's
// counts against the ones computed here, and its interval against
// Newcombe's on them.
func TestUpliftOfAControlGroup(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var customers strings.Builder
		customers.WriteString("customer_id,email,country\n")
		for i := 1; i <= 400; i++ {
			fmt.Fprintf(&customers, "%d,c%d@example.com,FR\n", i, i)
		}
		loadShopRows(t, s, customers.String(), "purchase_id,customer_id,amount,purchased_at\n")
		run := runLive(t, s, upliftCampaign)
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		d := dispatcher(t, s, "n1", sandboxEmail(), c)
		for range 200 {
			n, err := d.DispatchOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			c.Add(7 * time.Minute)
		}
		sent := sentAt(t, s, run)
		if len(sent) != 280 {
			t.Fatalf("%d messages sent, want 70 %% of 400", len(sent))
		}
		var times []time.Time
		for _, at := range sent {
			times = append(times, at)
		}
		sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
		median := times[(len(times)-1)/2]
		if times[0].Equal(times[len(times)-1]) {
			t.Fatal("every message went at one time: the median proves nothing")
		}

		// Plant purchases: a treated member converts more often.
		var purchases strings.Builder
		purchases.WriteString("purchase_id,customer_id,amount,purchased_at\n")
		at := map[int][]time.Time{}
		id := 0
		for i := 1; i <= 400; i++ {
			ref, treated := sent[i]
			if !treated {
				ref = median
			}
			var ps []time.Time
			if i%7 == 3 {
				ps = append(ps, ref.Add(-time.Hour)) // before: no
			}
			if (treated && i%10 < 3) || i%10 == 0 {
				ps = append(ps, ref.Add(2*time.Hour)) // inside
			}
			if i%13 == 5 {
				ps = append(ps, ref) // at the send: inside
			}
			if i%17 == 6 {
				ps = append(ps, ref.AddDate(0, 0, 7)) // the window's end: inside
			}
			if i%5 == 4 {
				ps = append(ps, ref.AddDate(0, 0, 7).Add(time.Second)) // after: no
			}
			for _, p := range ps {
				id++
				fmt.Fprintf(&purchases, "%d,%d,10.00,%s\n", id, i, p.Format(time.RFC3339Nano))
			}
			at[i] = ps
		}
		importPurchases(t, s, purchases.String())

		// The counts, computed here.
		var members, converted [2]int64 // control, treated
		for i := 1; i <= 400; i++ {
			ref, treated := sent[i]
			g := 0
			if treated {
				g = 1
			} else {
				ref = median
			}
			members[g]++
			for _, p := range at[i] {
				if !p.Before(ref) && !p.After(ref.AddDate(0, 0, 7)) {
					converted[g]++
					break
				}
			}
		}

		r, err := delivery.RunReport(ctx, s, run, delivery.ReportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Uplifts) != 1 {
			t.Fatalf("uplifts: %+v", r.Uplifts)
		}
		u := r.Uplifts[0]
		if u.Split != "groups" || u.Conversion != "purchase_7d" || u.Within != "7d" || !u.Random || !u.Reference.Equal(median) || u.Unavailable != "" || len(u.Groups) != 2 {
			t.Fatalf("uplift: %+v", u)
		}
		ctl, tr := u.Groups[0], u.Groups[1]
		if ctl.Subset != "remainder" || !ctl.Control || ctl.Members != members[0] || ctl.Converted != converted[0] || ctl.Uplift != nil {
			t.Errorf("control: %+v, want %d of %d", ctl, converted[0], members[0])
		}
		if tr.Subset != "treated" || tr.Activity != "mail" || tr.Members != members[1] || tr.Converted != converted[1] {
			t.Errorf("treated: %+v, want %d of %d", tr, converted[1], members[1])
		}
		diff, lo, hi := delivery.Newcombe(converted[1], members[1], converted[0], members[0])
		if tr.Uplift == nil || math.Abs(*tr.Uplift-diff) > 1e-12 || math.Abs(*tr.Low-lo) > 1e-12 || math.Abs(*tr.High-hi) > 1e-12 ||
			tr.TooSmall || tr.Conclusive != (lo > 0 || hi < 0) {
			t.Errorf("treated's uplift: %+v, want %f [%f, %f]", tr, diff, lo, hi)
		}
		if converted[1]*members[0] <= converted[0]*members[1] || converted[0] == 0 {
			t.Errorf("the planted data do not test much: %v of %v", converted, members)
		}

		// Given with the report: any purchase after the send, no window.
		after := &campaign.Conversion{Name: delivery.AdHocConversion, Query: "exists(purchases where purchased_at > $sent_at)"}
		r, err = delivery.RunReport(ctx, s, run, delivery.ReportOptions{Conversion: after})
		if err != nil || len(r.Uplifts) != 2 {
			t.Fatalf("with an ad hoc conversion: %v %+v", err, r)
		}
		var later [2]int64
		for i := 1; i <= 400; i++ {
			ref, treated := sent[i]
			g := 0
			if treated {
				g = 1
			} else {
				ref = median
			}
			for _, p := range at[i] {
				if p.After(ref) {
					later[g]++
					break
				}
			}
		}
		if g := r.Uplifts[1].Groups; g[0].Converted != later[0] || g[1].Converted != later[1] {
			t.Errorf("after the send: %+v, want %v", g, later)
		}
		for _, bad := range []campaign.Conversion{
			{Name: "x", Query: "exists(purchases where purchased_at between $sent_at and $window_end)"}, // no window
			{Name: "x", Query: "exists(purchases where amount > $sent_at)"},                             // not a timestamp
			{Name: "x", Query: "nonesuch = 1"},
		} {
			if _, err := delivery.RunReport(ctx, s, run, delivery.ReportOptions{Conversion: &bad}); !errors.Is(err, delivery.ErrInvalidConversion) {
				t.Errorf("%s: %v, want ErrInvalidConversion", bad.Query, err)
			}
		}
	})
}

// sentAt returns, by customer, when the run's email to them was sent.
func sentAt(t *testing.T, s *store.Store, run int64) map[int]time.Time {
	t.Helper()
	rows, err := storetest.DB(s).Query(`SELECT recipient, sent_at FROM ff_outbox WHERE run_id = $1 AND status = 'sent'`, run)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]time.Time{}
	for rows.Next() {
		var rcpt string
		var at time.Time
		if err := rows.Scan(&rcpt, &at); err != nil {
			t.Fatal(err)
		}
		var id int
		if _, err := fmt.Sscanf(rcpt, `{"customer_id":%d}`, &id); err != nil {
			t.Fatal(err)
		}
		out[id] = at.UTC()
	}
	return out
}

// importPurchases loads purchases into the shop's model.
func importPurchases(t *testing.T, s *store.Store, body string) {
	t.Helper()
	doc, err := os.ReadFile("../engine/testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := datamodel.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Import(context.Background(), s, m, "purchases", "purchases.csv", strings.NewReader(body), ingest.Options{Format: ingest.FormatCSV, Orphans: ingest.OrphansKeep}); err != nil {
		t.Fatal(err)
	}
}

func sandboxEmail() channel.Provider {
	p, _ := sandbox.New(channel.Email, sandbox.NewMemory())
	return p
}

package service_test

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const upliftModel = model + `  purchases:
    key: purchase_id
    attributes:
      purchase_id: integer
      customer_id: integer
      purchased_at: timestamp
    links:
      customer: {entity: customers, reverse: purchases}
`

const upliftDoc = `name: uplift
dimension: customers
report:
  conversions:
    - {name: bought_7d, query: 'exists(purchases where purchased_at between $sent_at and $window_end)', within: 7d}
activities:
  start: {type: start}
  all: {type: build_audience, query: all}
  groups:
    type: split
    subsets:
      - {name: treated, limit: 60%, order: random}
    remainder: true
  mail: {type: email, from: 'Shop <shop@example.com>', subject: 'Hi', html: '<p>Hi</p>'}
  stop: {type: end}
transitions:
  - start -> all
  - all -> groups
  - groups.treated -> mail
  - groups.remainder -> stop
`

// TestRunReportUplift: a run with a random control group, purchases
// planted around each member's reference time; the report's conversions
// (the campaign's, and one given with the report) count what this test
// counts, through either door, with Newcombe's interval on them, and as
// CSV; a conversion that does not read, a window that is not a duration
// and a window without a conversion are refused across the wire.
func TestRunReportUplift(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		ctx, svc := im.ctx, im.svc
		got(svc.ApplyModel(ctx, []byte(upliftModel), schema.ApplyOptions{})).must(t)
		var cs strings.Builder
		cs.WriteString("customer_id,email,country\n")
		for i := 1; i <= 250; i++ {
			fmt.Fprintf(&cs, "%d,c%d@example.com,FR\n", i, i)
		}
		got(svc.Import(ctx, "customers", "c.csv", strings.NewReader(cs.String()), ingest.Options{MaxErrors: -1})).must(t)
		got(svc.CampaignSave(ctx, []byte(upliftDoc))).must(t)
		got(svc.CampaignPublish(ctx, "uplift")).must(t)
		run := got(svc.RunStart(ctx, "uplift", engine.RunOptions{Mode: engine.ModeLive})).must(t)
		l := service.New(service.Config{Store: im.store, Log: quiet(), Providers: sandbox(t, im.store)})
		defer l.Close()
		if st, err := l.Work(context.Background(), run.ID); err != nil || st.Run.Status != engine.RunCompleted {
			t.Fatalf("work: %+v %v", st, err)
		}
		sent := map[int]time.Time{}
		rows, err := storetest.DB(im.store).Query(`SELECT recipient, sent_at FROM ff_outbox WHERE run_id = $1 AND status = 'sent'`, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var rcpt string
			var at time.Time
			var id int
			if err := rows.Scan(&rcpt, &at); err != nil {
				t.Fatal(err)
			}
			fmt.Sscanf(rcpt, `{"customer_id":%d}`, &id)
			sent[id] = at.UTC()
		}
		rows.Close()
		var times []time.Time
		for _, at := range sent {
			times = append(times, at)
		}
		sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
		if len(times) != 150 {
			t.Fatalf("%d sent, want 60 %% of 250", len(times))
		}
		median := times[(len(times)-1)/2]
		ref := func(i int) (time.Time, int) {
			if at, ok := sent[i]; ok {
				return at, 1
			}
			return median, 0
		}
		var ps strings.Builder
		ps.WriteString("purchase_id,customer_id,purchased_at\n")
		var members, in7d, afterSend [2]int64
		for i := 1; i <= 250; i++ {
			r, g := ref(i)
			members[g]++
			var at time.Time
			switch {
			case i%4 == 0 || (g == 1 && i%4 == 1):
				at = r.Add(36 * time.Hour) // inside the window
				in7d[g]++
				afterSend[g]++
			case i%4 == 2:
				at = r.Add(-time.Minute) // before the send
			default:
				at = r.AddDate(0, 0, 9) // after the window
				afterSend[g]++
			}
			fmt.Fprintf(&ps, "%d,%d,%s\n", i, i, at.Format(time.RFC3339Nano))
		}
		got(svc.Import(ctx, "purchases", "p.csv", strings.NewReader(ps.String()), ingest.Options{MaxErrors: -1})).must(t)

		r := got(svc.RunReport(ctx, run.ID, service.RunReportRequest{Conversion: "exists(purchases where purchased_at > $sent_at)"})).must(t)
		if len(r.Uplifts) != 2 {
			t.Fatalf("uplifts: %+v", r.Uplifts)
		}
		for i, want := range [][2]int64{in7d, afterSend} {
			u := r.Uplifts[i]
			ctl, tr := u.Groups[0], u.Groups[1]
			if !u.Reference.Equal(median) || ctl.Members != members[0] || tr.Members != members[1] || ctl.Converted != want[0] || tr.Converted != want[1] {
				t.Errorf("%s: %+v %+v, want %v of %v", u.Conversion, ctl, tr, want, members)
				continue
			}
			d, lo, hi := delivery.Newcombe(want[1], members[1], want[0], members[0])
			if math.Abs(*tr.Uplift-d) > 1e-12 || math.Abs(*tr.Low-lo) > 1e-12 || math.Abs(*tr.High-hi) > 1e-12 || tr.TooSmall != (members[0] < 100) {
				t.Errorf("%s: %+v, want %f [%f, %f]", u.Conversion, tr, d, lo, hi)
			}
		}
		if names := r.Uplifts[0].Conversion + "," + r.Uplifts[1].Conversion; names != "bought_7d,conversion" {
			t.Errorf("conversions: %s", names)
		}
		var csv strings.Builder
		if err := r.WriteUpliftCSV(&csv); err != nil || !strings.Contains(csv.String(), fmt.Sprintf("\ngroups,bought_7d,7d,%s,true,treated,mail,false,%d,%d,", median.Format(time.RFC3339), members[1], in7d[1])) {
			t.Errorf("the uplifts as CSV (%v):\n%s", err, csv.String())
		}
		for _, bad := range []service.RunReportRequest{
			{Conversion: "purchased_at >"},
			{Conversion: "exists(purchases where purchased_at > $sent_at)", Within: "a week"},
			{Within: "7d"},
			{Conversion: "exists(purchases where purchased_at < $window_end)"}, // no window
		} {
			_, err := svc.RunReport(ctx, run.ID, bad)
			wantIs(t, fmt.Sprintf("%+v", bad), err, service.ErrBadRequest)
		}
	})
}

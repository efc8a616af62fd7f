package engine

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// dstCases are daily schedules over the two clock changes of 2027 in a
// zone that shifts by an hour and in one that shifts by half an hour,
// with the occurrences ISC cron gives: a wall time the clocks jump over
// runs at the jump, one they pass twice runs once.
var dstCases = []struct {
	name, zone, cron string
	from             time.Time // the clock when the campaign is published
	want             []time.Time
}{
	{
		// 28 March: 02:00 CET becomes 03:00 CEST (01:00Z); 02:30 is skipped.
		name: "Paris, clocks forward", zone: "Europe/Paris", cron: "30 2 * * *",
		from: utc(2027, 3, 26, 12, 0),
		want: []time.Time{utc(2027, 3, 27, 1, 30), utc(2027, 3, 28, 1, 0), utc(2027, 3, 29, 0, 30)},
	},
	{
		// 31 October: 03:00 CEST becomes 02:00 CET (01:00Z); 02:30 happens
		// at 00:30Z and again at 01:30Z.
		name: "Paris, clocks back", zone: "Europe/Paris", cron: "30 2 * * *",
		from: utc(2027, 10, 29, 12, 0),
		want: []time.Time{utc(2027, 10, 30, 0, 30), utc(2027, 10, 31, 0, 30), utc(2027, 11, 1, 1, 30)},
	},
	{
		// 3 October: 02:00 LHST (+10:30) becomes 02:30 LHDT (+11), at
		// 15:30Z on the 2nd; 02:15 is skipped.
		name: "Lord Howe, clocks forward half an hour", zone: "Australia/Lord_Howe", cron: "15 2 * * *",
		from: utc(2027, 10, 1, 0, 0),
		want: []time.Time{utc(2027, 10, 1, 15, 45), utc(2027, 10, 2, 15, 30), utc(2027, 10, 3, 15, 15)},
	},
	{
		// 4 April: 02:00 LHDT becomes 01:30 LHST, at 15:00Z on the 3rd;
		// 01:45 happens at 14:45Z and again at 15:15Z.
		name: "Lord Howe, clocks back half an hour", zone: "Australia/Lord_Howe", cron: "45 1 * * *",
		from: utc(2027, 4, 2, 0, 0),
		want: []time.Time{utc(2027, 4, 2, 14, 45), utc(2027, 4, 3, 14, 45), utc(2027, 4, 4, 15, 15)},
	},
}

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

// TestScheduleAcrossClockChanges publishes daily campaigns whose times
// the clocks skip or repeat, lists their occurrences as `campaign
// schedule` does, and moves the controllable clock through them, ticking
// as a server does: each occurrence starts one run, at its time and not
// before, and nothing else runs (robfig/cron skipped the day of the jump
// and ran twice the day the clocks fell back).
func TestScheduleAcrossClockChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		eng := setup(t, s)
		clock := &testClock{}
		withClock(eng, clock)
		for i, tc := range dstCases {
			t.Run(tc.name, func(t *testing.T) {
				name := fmt.Sprintf("daily%d", i)
				clock.Set(tc.from)
				doc := fmt.Sprintf("name: %s\ndimension: customers\nschedule: {cron: %q, timezone: %s}\nactivities:\n  start: {type: start}\n  all: {type: build_audience, query: 'all'}\n  done: {type: end}\ntransitions:\n  - start -> all\n  - all -> done\n", name, tc.cron, tc.zone)
				if _, err := eng.Save(ctx, []byte(doc)); err != nil {
					t.Fatal(err)
				}
				if _, err := eng.Publish(ctx, name); err != nil {
					t.Fatal(err)
				}
				listed, err := eng.NextOccurrences(ctx, name, len(tc.want))
				if err != nil || !slices.EqualFunc(listed, tc.want, time.Time.Equal) {
					t.Errorf("campaign schedule lists %v (%v), want %v", listed, err, tc.want)
				}
				// The occurrences of this campaign's runs (the earlier cases'
				// campaigns have missed occurrences of their own to run).
				occurrences := func() []time.Time {
					runs, err := eng.Runs(ctx, name, 10)
					if err != nil {
						t.Fatal(err)
					}
					var out []time.Time
					for _, r := range runs {
						if r.Occurrence != nil {
							out = append(out, r.Occurrence.UTC())
						}
					}
					slices.SortFunc(out, time.Time.Compare)
					return out
				}
				tick := func(at time.Time) {
					clock.Set(at)
					if _, err := eng.Tick(ctx); err != nil {
						t.Fatal(err)
					}
				}
				for i, at := range tc.want {
					if tick(at.Add(-time.Second)); len(occurrences()) != i {
						t.Fatalf("at %v, before the occurrence at %v: runs for %v", clock.Now(), at, occurrences())
					}
					if tick(at.Add(time.Second)); len(occurrences()) != i+1 {
						t.Fatalf("at %v, just after the occurrence at %v: runs for %v", clock.Now(), at, occurrences())
					}
				}
				got := occurrences()
				if !slices.EqualFunc(got, tc.want, time.Time.Equal) {
					t.Fatalf("runs for occurrences %v, want %v", got, tc.want)
				}
			})
		}
	})
}

// TestNextAcrossClockChanges checks Next over every zone's clock changes
// of 2027 for a few schedules: occurrences rise, each is the schedule's
// wall time or (when the clocks skip it) the jump, and each wall time
// runs once a day.
func TestNextAcrossClockChanges(t *testing.T) {
	t.Parallel()
	for _, tc := range dstCases {
		s := &campaign.Schedule{Cron: tc.cron, TimeZone: tc.zone}
		t0 := tc.from
		for i, want := range tc.want {
			got, err := Next(s, t0)
			if err != nil || !got.Equal(want) {
				t.Fatalf("%s: occurrence %d after %v: %v (%v), want %v", tc.name, i, t0, got, err, want)
			}
			t0 = got
		}
	}
	for _, zone := range []string{"Europe/Paris", "Australia/Lord_Howe", "America/New_York", "America/Santiago", "Asia/Tehran", "Pacific/Chatham", "UTC"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		for _, expr := range []string{"30 2 * * *", "15,45 1,2 * * *", "*/20 * * * *", "0 3 * * SUN"} {
			s := &campaign.Schedule{Cron: expr, TimeZone: zone}
			spec, _ := parseCron(expr)
			seen := map[string]bool{}
			t0 := utc(2027, 1, 1, 0, 0)
			for t0.Year() < 2028 {
				next, err := Next(s, t0)
				if err != nil || !next.After(t0) {
					t.Fatalf("%s %q: after %v: %v %v", zone, expr, t0, next, err)
				}
				w := next.In(loc)
				onTime := spec.Hour&(1<<uint(w.Hour())) != 0 && spec.Minute&(1<<uint(w.Minute())) != 0
				_, offBefore := next.Add(-time.Second).In(loc).Zone()
				_, offAt := w.Zone()
				if !onTime && offBefore == offAt {
					t.Fatalf("%s %q: %v (%v) is neither a time of the schedule nor a jump", zone, expr, next, w)
				}
				key := w.Format("2006-01-02 15:04")
				if seen[key] {
					t.Fatalf("%s %q: wall time %s runs twice", zone, expr, key)
				}
				seen[key] = true
				t0 = next
			}
		}
	}
}

package engine

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// A schedule's occurrences are local wall times: "30 2 * * *" in
// Europe/Paris is half past two on the clocks of Paris. Twice a year a
// wall time does not exist (the clocks jump forward) or happens twice
// (they fall back). robfig/cron steps through instants and gets both
// wrong (it skips the day of the jump and runs twice on the day the
// clocks fall back: a whole audience mailed twice), so occurrences are
// computed here from its parsed fields, as ISC cron does:
//   - a wall time the clocks jump over runs at the jump (02:30 runs at
//     03:00 CEST, the first instant after 02:00 CET), once however many
//     of a schedule's times the jump swallows;
//   - a wall time that happens twice runs once, the first time.

// starBit is robfig/cron's mark of a field given as "*" (or "?"), which
// changes how day of month and day of week combine.
const starBit = 1 << 63

// cronSpec is a parsed five-field cron expression.
type cronSpec struct{ *cron.SpecSchedule }

// parseCron parses a five-field cron expression (validation has checked
// it has five fields).
func parseCron(expr string) (cronSpec, error) {
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return cronSpec{}, err
	}
	spec, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return cronSpec{}, fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week)")
	}
	return cronSpec{spec}, nil
}

// dayMatches is robfig/cron's rule: when day of month or day of week is
// "*", a day must match both; otherwise either.
func (c cronSpec) dayMatches(y int, m time.Month, d int) bool {
	if c.Month&(1<<uint(m)) == 0 {
		return false
	}
	dom := c.Dom&(1<<uint(d)) != 0
	dow := c.Dow&(1<<uint(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday())) != 0
	if c.Dom&starBit != 0 || c.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// next returns the first occurrence strictly after t in loc, or the zero
// time when there is none within five years (robfig/cron's horizon, for
// "30 2 30 2 *").
func (c cronSpec) next(t time.Time, loc *time.Location) time.Time {
	start := wallOf(t.In(loc)).Truncate(time.Minute)
	end := start.AddDate(5, 0, 0)
	for day := start.Truncate(24 * time.Hour); day.Before(end); day = day.AddDate(0, 0, 1) {
		y, m, d := day.Date()
		if !c.dayMatches(y, m, d) {
			continue
		}
		for h := range 24 {
			if c.Hour&(1<<uint(h)) == 0 {
				continue
			}
			for min := range 60 {
				if c.Minute&(1<<uint(min)) == 0 {
					continue
				}
				w := time.Date(y, m, d, h, min, 0, 0, time.UTC)
				if w.Before(start) {
					continue
				}
				// Instants grow with wall times (a jump's swallowed times
				// share its instant), so the first one after t is next.
				if at := instantOf(w, loc); at.After(t) {
					return at
				}
			}
		}
	}
	return time.Time{}
}

// wallOf returns a time's wall clock, as if it were UTC.
func wallOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// instantOf returns when a wall time w (as if UTC) happens in loc: its
// first instant when the clocks pass it twice, the jump when they skip it.
func instantOf(w time.Time, loc *time.Location) time.Time {
	// The offsets in force around w: a zone changes its offset at most
	// once in a day or so.
	var offsets []int
	for _, probe := range []time.Duration{-30 * time.Hour, 0, 30 * time.Hour} {
		_, off := w.Add(probe).In(loc).Zone()
		if !contains(offsets, off) {
			offsets = append(offsets, off)
		}
	}
	var first time.Time
	lo, hi := w, w // the instants w would be at under each offset
	for _, off := range offsets {
		at := w.Add(-time.Duration(off) * time.Second)
		if wallOf(at.In(loc)).Equal(w) && (first.IsZero() || at.Before(first)) {
			first = at
		}
		if at.Before(lo) {
			lo = at
		}
		if at.After(hi) {
			hi = at
		}
	}
	if !first.IsZero() {
		return first
	}
	// Skipped: the clocks jumped over w somewhere in [lo, hi]; find the
	// first instant whose wall clock is past w.
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if wallOf(mid.In(loc)).After(w) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

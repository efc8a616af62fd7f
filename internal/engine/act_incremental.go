package engine

import (
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/worktable"
)

// hwmKey is the campaign state key of an incremental query's high-water
// mark.
func hwmKey(activity string) string { return "hwm:" + activity }

// incrementalQuery runs a query like build_audience, keeping only the rows
// whose since attribute is past the high-water mark of the campaign's
// previous live runs. The new mark (the greatest since among the rows
// returned) is kept for the transaction completing the activity; a
// simulation reads the mark but never moves it. No rows end the branch.
func incrementalQuery(v *env) ([]output, error) {
	var s campaign.IncrementalQuery
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	dim := s.Dimension
	if dim == "" {
		dim = v.dimension()
	}
	ent, err := v.entity(dim)
	if err != nil {
		return nil, err
	}
	attr, err := v.resolvePath(ent, s.Since)
	if err != nil {
		return nil, err
	}
	if attr.Type != datamodel.TypeDate && attr.Type != datamodel.TypeTimestamp {
		return nil, fmt.Errorf("%s: since %q is %s: want a date or timestamp attribute", v.act.ID, s.Since, attr.Type)
	}
	mark, hasMark, err := v.state(hwmKey(v.act.ID))
	if err != nil {
		return nil, err
	}
	var after any
	if hasMark {
		t, err := parseMark(mark)
		if err != nil {
			return nil, fmt.Errorf("%s: high-water mark %q: %w", v.act.ID, mark, err)
		}
		after = t
	}
	outs, err := v.createAs(v.compiler().Incremental("out", dim, s.Query, s.Where, s.Since, after))
	if err != nil {
		return nil, err
	}
	table := outs[0].Table
	var top *time.Time // nil: no row came in since the mark
	if err := v.store().Generated().Row(v.ctx, worktable.MaxSince(table), nil, &top); err != nil {
		return nil, fmt.Errorf("%s: read the new high-water mark: %w", v.act.ID, err)
	}
	if top == nil {
		return nil, v.exec(worktable.Drop(table))
	}
	if err := v.exec(worktable.DropSince(table)); err != nil {
		return nil, err
	}
	if !v.simulate() {
		v.keepState(hwmKey(v.act.ID), formatMark(*top, attr.Type))
	}
	return outs, nil
}

// formatMark writes a high-water mark: a date, or an instant in UTC to the
// nanosecond.
func formatMark(t time.Time, typ datamodel.Type) string {
	if typ == datamodel.TypeDate {
		return t.Format(time.DateOnly)
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// parseMark reads a high-water mark written by formatMark.
func parseMark(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

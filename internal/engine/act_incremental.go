package engine

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
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
	q, err := v.query(dim, s.Query, s.Where)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	c, err := v.compile(q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	sel, err := v.keySelect(dim, c.Keys())
	if err != nil {
		return nil, err
	}
	since, err := c.Column(s.Since)
	if err != nil {
		return nil, fmt.Errorf("%s: since %q: %w", v.act.ID, s.Since, err)
	}
	sel += ", " + since + " AS ff_since"
	mark, hasMark, err := v.state(hwmKey(v.act.ID))
	if err != nil {
		return nil, err
	}
	cond := "q.ff_since IS NOT NULL"
	if hasMark {
		t, err := parseMark(mark)
		if err != nil {
			return nil, fmt.Errorf("%s: high-water mark %q: %w", v.act.ID, mark, err)
		}
		cond = "q.ff_since > " + c.Arg(t)
	}
	inner, args := c.SQL(sel, "")
	keys, err := v.keyColumns(dim)
	if err != nil {
		return nil, err
	}
	table := v.table("out")
	if err := v.createAs(table, "SELECT "+columnList("q", keys)+", q.ff_since FROM ("+inner+") q WHERE "+cond, args...); err != nil {
		return nil, err
	}
	var top sql.NullTime
	if err := v.store().DB.QueryRowContext(v.ctx, "SELECT max(ff_since) FROM "+store.Quote(table)).Scan(&top); err != nil {
		return nil, fmt.Errorf("%s: read the new high-water mark: %w", v.act.ID, err)
	}
	if !top.Valid {
		return nil, v.exec("DROP TABLE " + store.Quote(table))
	}
	if err := v.exec("ALTER TABLE " + store.Quote(table) + " DROP COLUMN ff_since"); err != nil {
		return nil, err
	}
	if !v.simulate() {
		v.keepState(hwmKey(v.act.ID), formatMark(top.Time, attr.Type))
	}
	return []output{{Port: "out", Table: table, Dimension: dim}}, nil
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

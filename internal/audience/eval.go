package audience

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// Row is one row of an entity: attribute name → typed value (int64,
// *big.Rat, string, bool, time.Time; nil for null).
type Row map[string]any

// Dataset holds the rows of each entity, by entity name.
type Dataset map[string][]Row

// Evaluate runs a query over in-memory rows, row by row, following links by
// scanning. It is the slow, obviously correct reference the SQL compiler is
// tested against, with SQL's three-valued logic: a comparison with null is
// unknown, "not unknown" is unknown, and only rows that are true match.
// audiences holds the key tuples of each saved audience's members. It
// returns the key tuples of the matching dimension rows, sorted.
func Evaluate(m *datamodel.Model, data Dataset, q *Query, audiences map[string][][]any) ([][]any, error) {
	if m == nil || q == nil {
		return nil, fmt.Errorf("evaluate: model and query are required")
	}
	dim := m.Entity(q.Dimension)
	if dim == nil {
		return nil, fmt.Errorf("evaluate: unknown dimension %q", q.Dimension)
	}
	loc, err := queryLocation(q.TimeZone)
	if err != nil {
		return nil, err
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	ev := &evaluator{m: m, data: data, q: q, now: now.UTC(), loc: loc, audiences: audiences}
	var out [][]any
	for _, r := range data[dim.Name] {
		t := yes
		if q.Where != nil {
			if t, err = ev.node(dim, r, q.Where, 1); err != nil {
				return nil, fmt.Errorf("evaluate: %w", err)
			}
		}
		if t == yes {
			key := make([]any, len(dim.Key))
			for i, k := range dim.Key {
				key[i] = r[k]
			}
			out = append(out, key)
		}
	}
	SortKeys(out)
	return out, nil
}

// SortKeys sorts key tuples in a stable total order (nulls first).
func SortKeys(keys [][]any) {
	sort.Slice(keys, func(i, j int) bool {
		for k := range keys[i] {
			if c := orderValues(keys[i][k], keys[j][k]); c != 0 {
				return c < 0
			}
		}
		return false
	})
}

// orderValues orders any two typed values: nulls first, then by type, then
// by value.
func orderValues(a, b any) int {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		}
		return 1
	}
	if c, err := compareTyped(a, b); err == nil {
		return c
	}
	return strings.Compare(fmt.Sprintf("%T", a), fmt.Sprintf("%T", b))
}

// truth is a value of three-valued logic.
type truth int8

const (
	no truth = iota
	unknown
	yes
)

func truthOf(b bool) truth {
	if b {
		return yes
	}
	return no
}

type evaluator struct {
	m         *datamodel.Model
	data      Dataset
	q         *Query
	now       time.Time
	loc       *time.Location
	audiences map[string][][]any
}

func (ev *evaluator) node(e *datamodel.Entity, r Row, n *Node, depth int) (truth, error) {
	if n == nil {
		return no, fmt.Errorf("empty node")
	}
	if depth > MaxDepth {
		return no, fmt.Errorf("the query nests deeper than %d levels", MaxDepth)
	}
	switch {
	case n.Or != nil:
		out := no
		for _, k := range n.Or {
			t, err := ev.node(e, r, k, depth+1)
			if err != nil {
				return no, err
			}
			if t > out {
				out = t
			}
		}
		return out, nil
	case n.Not != nil:
		t, err := ev.node(e, r, n.Not, depth+1)
		return yes - t, err // yes↔no, unknown stays
	case n.Attr != "" || n.Op != "":
		hops, a, err := ResolveAttr(ev.m, e, n.Attr)
		if err != nil {
			return no, err
		}
		var v any
		if row := ev.follow(r, hops); row != nil {
			v = row[a.Name]
		}
		t, err := ev.condition(v, a, n.Op, n.Value, n.CaseInsensitive)
		if err != nil {
			return no, fmt.Errorf("%s %s: %w", n.Attr, n.Op, err)
		}
		return t, nil
	case n.Link != "":
		return ev.link(e, r, n, depth)
	case n.Audience != "":
		if e.Name != ev.q.Dimension {
			return no, fmt.Errorf("audience %q: membership applies to %s rows", n.Audience, ev.q.Dimension)
		}
		members, ok := ev.audiences[n.Audience]
		if !ok {
			return no, fmt.Errorf("unknown audience %q", n.Audience)
		}
		for _, key := range members {
			match := len(key) == len(e.Key)
			for i := 0; match && i < len(key); i++ {
				match = sameValue(key[i], r[e.Key[i]])
			}
			if match {
				return yes, nil
			}
		}
		return no, nil
	}
	out := yes
	for _, k := range n.And {
		t, err := ev.node(e, r, k, depth+1)
		if err != nil {
			return no, err
		}
		if t < out {
			out = t
		}
	}
	return out, nil
}

// sameValue reports whether two non-null values are equal (a join match).
func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return false
	}
	c, err := compareTyped(a, b)
	return err == nil && c == 0
}

// related returns the rows of h.To whose ToCols equal r's FromCols.
func (ev *evaluator) related(r Row, h Hop) []Row {
	var out []Row
	for _, o := range ev.data[h.To.Name] {
		match := true
		for i := range h.FromCols {
			if !sameValue(r[h.FromCols[i]], o[h.ToCols[i]]) {
				match = false
				break
			}
		}
		if match {
			out = append(out, o)
		}
	}
	return out
}

// follow walks to-one hops from r; nil when a hop reaches no row.
func (ev *evaluator) follow(r Row, hops []Hop) Row {
	for _, h := range hops {
		rs := ev.related(r, h)
		if len(rs) == 0 {
			return nil
		}
		r = rs[0]
	}
	return r
}

// link evaluates a link condition on row r of entity e: the related rows
// that meet its where, counted, aggregated or, by default, required to
// exist.
func (ev *evaluator) link(e *datamodel.Entity, r Row, n *Node, depth int) (truth, error) {
	toOne, many, err := ResolveLink(ev.m, e, n.Link)
	if err != nil {
		return no, err
	}
	var rows []Row
	if from := ev.follow(r, toOne); from != nil {
		for _, o := range ev.related(from, many) {
			keep := yes
			if n.Where != nil {
				if keep, err = ev.node(many.To, o, n.Where, depth+1); err != nil {
					return no, err
				}
			}
			if keep == yes {
				rows = append(rows, o)
			}
		}
	}
	switch {
	case n.Count != nil:
		return ev.condition(int64(len(rows)), countAttr, n.Count.Op, n.Count.Value, false)
	case n.Aggregate == nil:
		return truthOf(len(rows) > 0), nil
	}
	return ev.aggregate(many.To, rows, n.Aggregate)
}

// aggregate evaluates an aggregate condition over rows, rows of entity to:
// the aggregate of the attribute's values that are not null, compared as
// the condition says.
func (ev *evaluator) aggregate(to *datamodel.Entity, rows []Row, ag *Aggregate) (truth, error) {
	hops, a, err := ResolveAttr(ev.m, to, ag.Attr)
	if err != nil {
		return no, err
	}
	var vals []any
	for _, o := range rows {
		if row := ev.follow(o, hops); row != nil && row[a.Name] != nil {
			vals = append(vals, row[a.Name])
		}
	}
	switch ag.Fn {
	case FnCount:
		return ev.condition(int64(len(vals)), countAttr, ag.Op, ag.Value, false)
	case FnSum, FnAvg:
		sum := new(big.Rat)
		for _, v := range vals {
			switch x := v.(type) {
			case int64:
				sum.Add(sum, new(big.Rat).SetInt64(x))
			case *big.Rat:
				sum.Add(sum, x)
			default:
				return no, fmt.Errorf("%s of %T", ag.Fn, v)
			}
		}
		if ag.Fn == FnAvg {
			if len(vals) == 0 {
				return ev.condition(nil, avgAttr, ag.Op, ag.Value, false)
			}
			return ev.condition(sum.Quo(sum, new(big.Rat).SetInt64(int64(len(vals)))), avgAttr, ag.Op, ag.Value, false)
		}
		var total any = sum
		if a.Type == datamodel.TypeInteger {
			total = sum.Num().Int64()
		}
		return ev.condition(total, a, ag.Op, ag.Value, false)
	case FnMin, FnMax:
		var best any
		for _, v := range vals {
			if best == nil {
				best = v
				continue
			}
			c, err := compareTyped(v, best)
			if err != nil {
				return no, err
			}
			if (ag.Fn == FnMin && c < 0) || (ag.Fn == FnMax && c > 0) {
				best = v
			}
		}
		return ev.condition(best, a, ag.Op, ag.Value, false)
	}
	return no, fmt.Errorf("unknown aggregate function %q", ag.Fn)
}

// condition evaluates "v op value" for a value v of attribute a's type,
// with the operator table's entry for op.
func (ev *evaluator) condition(v any, a *datamodel.Attribute, op string, raw any, ci bool) (truth, error) {
	o, ok := operators[op]
	if !ok {
		return no, fmt.Errorf("unknown operator %q", op)
	}
	return o.eval(ev, v, a, op, raw, ci)
}

// nullCond evaluates is_null and is_not_null.
func (ev *evaluator) nullCond(v any, _ *datamodel.Attribute, op string, _ any, _ bool) (truth, error) {
	return truthOf((v == nil) == (op == OpIsNull)), nil
}

// emptyCond evaluates is_empty and is_not_empty.
func (ev *evaluator) emptyCond(v any, _ *datamodel.Attribute, op string, _ any, _ bool) (truth, error) {
	return truthOf((v == nil || v == "") == (op == OpIsEmpty)), nil
}

// compareCond evaluates = != < <= > >= before after.
func (ev *evaluator) compareCond(v any, a *datamodel.Attribute, op string, raw any, _ bool) (truth, error) {
	x, err := oneValue(ev.q.Params, raw)
	if err != nil {
		return no, err
	}
	if x, err = Coerce(a, x); err != nil {
		return no, err
	}
	if v == nil {
		return unknown, nil
	}
	c, err := compareTyped(v, x)
	if err != nil {
		return no, err
	}
	switch op {
	case OpEq:
		return truthOf(c == 0), nil
	case OpNe:
		return truthOf(c != 0), nil
	case OpLt, OpBefore:
		return truthOf(c < 0), nil
	case OpLe:
		return truthOf(c <= 0), nil
	case OpGt, OpAfter:
		return truthOf(c > 0), nil
	}
	return truthOf(c >= 0), nil
}

// listCond reads the values of in, not_in and between, coerced to a's type.
func (ev *evaluator) listCond(a *datamodel.Attribute, raw any) ([]any, error) {
	vs, err := listValues(ev.q.Params, raw)
	if err != nil {
		return nil, err
	}
	return coerceValues(a, vs)
}

// inCond evaluates in and not_in.
func (ev *evaluator) inCond(v any, a *datamodel.Attribute, op string, raw any, _ bool) (truth, error) {
	xs, err := ev.listCond(a, raw)
	if err != nil {
		return no, err
	}
	if v == nil {
		return unknown, nil
	}
	found := false
	for _, x := range xs {
		if c, err := compareTyped(v, x); err == nil && c == 0 {
			found = true
		}
	}
	return truthOf(found == (op == OpIn)), nil
}

// betweenCond evaluates between.
func (ev *evaluator) betweenCond(v any, a *datamodel.Attribute, _ string, raw any, _ bool) (truth, error) {
	xs, err := ev.listCond(a, raw)
	if err != nil {
		return no, err
	}
	if v == nil {
		return unknown, nil
	}
	if len(xs) != 2 {
		return no, fmt.Errorf("between takes two values")
	}
	lo, err1 := compareTyped(v, xs[0])
	hi, err2 := compareTyped(v, xs[1])
	if err1 != nil || err2 != nil {
		return no, fmt.Errorf("between: cannot compare %T", v)
	}
	return truthOf(lo >= 0 && hi <= 0), nil
}

// textCond evaluates contains, starts_with and ends_with.
func (ev *evaluator) textCond(v any, _ *datamodel.Attribute, op string, raw any, ci bool) (truth, error) {
	x, err := oneValue(ev.q.Params, raw)
	if err != nil {
		return no, err
	}
	sub, ok := x.(string)
	if !ok {
		return no, fmt.Errorf("want a string")
	}
	if v == nil {
		return unknown, nil
	}
	s, ok := v.(string)
	if !ok {
		return no, fmt.Errorf("%s on %T", op, v)
	}
	if ci {
		s, sub = strings.ToLower(s), strings.ToLower(sub)
	}
	switch op {
	case OpContains:
		return truthOf(strings.Contains(s, sub)), nil
	case OpStartsWith:
		return truthOf(strings.HasPrefix(s, sub)), nil
	}
	return truthOf(strings.HasSuffix(s, sub)), nil
}

// withinCond evaluates within_last and within_next.
func (ev *evaluator) withinCond(v any, a *datamodel.Attribute, op string, raw any, _ bool) (truth, error) {
	x, err := oneValue(ev.q.Params, raw)
	if err != nil {
		return no, err
	}
	d, err := durationValue(x)
	if err != nil {
		return no, err
	}
	if v == nil {
		return unknown, nil
	}
	t := v.(time.Time)
	sign := 1
	if op == OpWithinLast {
		sign = -1
	}
	if a.Type == datamodel.TypeTimestamp {
		other := d.Shift(ev.now.In(ev.loc), sign)
		lo, hi := other, ev.now
		if sign > 0 {
			lo, hi = ev.now, other
		}
		return truthOf(!t.Before(lo) && !t.After(hi)), nil
	}
	y, mo, dd := ev.now.In(ev.loc).Date()
	day := time.Date(y, mo, dd, 0, 0, 0, 0, time.UTC)
	var other time.Time
	switch d.Unit {
	case "mo", "y":
		other = d.Shift(day, sign)
	default:
		days, _ := d.Days()
		other = day.AddDate(0, 0, sign*days)
	}
	lo, hi := other, day
	if sign > 0 {
		lo, hi = day, other
	}
	return truthOf(!t.Before(lo) && !t.After(hi)), nil
}

// dayOfWeekCond evaluates day_of_week.
func (ev *evaluator) dayOfWeekCond(v any, a *datamodel.Attribute, _ string, raw any, _ bool) (truth, error) {
	days, err := weekdayValues(ev.q.Params, raw)
	if err != nil {
		return no, err
	}
	if v == nil {
		return unknown, nil
	}
	t := v.(time.Time)
	if a.Type == datamodel.TypeTimestamp {
		t = t.In(ev.loc)
	}
	for _, w := range days {
		if t.Weekday() == w {
			return yes, nil
		}
	}
	return no, nil
}

// anniversaryCond evaluates anniversary_within.
func (ev *evaluator) anniversaryCond(v any, _ *datamodel.Attribute, _ string, raw any, _ bool) (truth, error) {
	x, err := oneValue(ev.q.Params, raw)
	if err != nil {
		return no, err
	}
	n, err := dayCount(x)
	if err != nil {
		return no, err
	}
	if v == nil {
		return unknown, nil
	}
	born := v.(time.Time)
	y, mo, dd := ev.now.In(ev.loc).Date()
	for i := 0; i <= n; i++ {
		day := time.Date(y, mo, dd+i, 0, 0, 0, 0, time.UTC)
		m, d := born.Month(), born.Day()
		yr := day.Year()
		leap := yr%4 == 0 && (yr%100 != 0 || yr%400 == 0)
		if m == time.February && d == 29 && !leap {
			d = 28 // a 29 February anniversary falls on the 28th in other years
		}
		if day.Month() == m && day.Day() == d {
			return yes, nil
		}
	}
	return no, nil
}

// compareTyped compares two typed values of the same kind.
func compareTyped(a, b any) (int, error) {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			switch {
			case x < y:
				return -1, nil
			case x > y:
				return 1, nil
			}
			return 0, nil
		}
	case *big.Rat:
		if y, ok := b.(*big.Rat); ok {
			return x.Cmp(y), nil
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0, nil
			case !x:
				return -1, nil
			}
			return 1, nil
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), nil
		}
	}
	return 0, fmt.Errorf("cannot compare %T with %T", a, b)
}

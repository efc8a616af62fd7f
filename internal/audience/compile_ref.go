package audience

import (
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// References of a conversion's query: parameters whose value is not one
// value bound once but each member's own, read from the table of members
// the query is counted over (CountOver).
const (
	// RefSentAt is each member's reference time: when its message was
	// sent (see docs/tracking.md for members who received none).
	RefSentAt = "sent_at"
	// RefWindowEnd is RefSentAt plus the conversion's window (within).
	RefWindowEnd = "window_end"
)

// Over is a table of members a query is counted over, one row per member
// with the dimension's key columns, a group and the columns of the
// references.
type Over struct {
	// Table is the table's name (a relation the caller provides, such as
	// a common table expression).
	Table string
	// Group names the column grouping the rows.
	Group string
	// Refs maps a reference parameter ($sent_at) to its column; the
	// columns hold timestamps.
	Refs map[string]string
}

// CountOver compiles a query counted over a table of members: per group,
// the members whose dimension row matches, where each reference parameter
// ($sent_at, $window_end) compares with the member's own value. It
// renders SELECT <group>, count(*) FROM <table> r JOIN <dimension> t0 …
// WHERE <condition> GROUP BY <group>, with its arguments.
func CountOver(m *datamodel.Model, d store.Dialect, q *Query, aud AudienceTables, over Over) (string, []any, error) {
	qc := *q
	// The references are not values: the compiler reads them from the
	// member table before it looks for a parameter's value.
	c, err := compileWith(m, d, &qc, aud, over.Refs)
	if err != nil {
		return "", nil, err
	}
	dim := c.root.e
	on := make([]string, len(dim.Key))
	for i, k := range dim.Key {
		on[i] = c.root.alias + "." + store.Quote(k) + " = r." + store.Quote(k)
	}
	group := "r." + store.Quote(over.Group)
	var b strings.Builder
	b.WriteString("SELECT " + group + ", count(*) FROM " + store.Quote(over.Table) + " r JOIN " + store.Quote(dim.Name) + " " + c.root.alias +
		" ON " + strings.Join(on, " AND "))
	for _, j := range c.root.joins {
		b.WriteString(" " + j)
	}
	b.WriteString(" WHERE " + c.cond + " GROUP BY " + group)
	return b.String(), append([]any(nil), c.args...), nil
}

// refOf returns the column of a reference parameter raw stands for, if
// the query is compiled over a member table that has it.
func (c *Compiled) refOf(raw any) (string, bool) {
	name, ok := paramPlaceholder(raw)
	if !ok || c.refs == nil {
		return "", false
	}
	col, ok := c.refs[name]
	if !ok {
		return "", false
	}
	return "r." + store.Quote(col), true
}

// refCompare compiles "expr op $ref" for a timestamp attribute.
func (c *Compiled) refCompare(expr string, a *datamodel.Attribute, op, ref string) (string, error) {
	if a.Type != datamodel.TypeTimestamp {
		return "", fmt.Errorf("a reference time ($%s, $%s) compares with timestamps, not %s", RefSentAt, RefWindowEnd, a.Type)
	}
	sqlOp, ok := map[string]string{OpEq: "=", OpNe: "<>", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=", OpBefore: "<", OpAfter: ">"}[op]
	if !ok {
		return "", fmt.Errorf("%s does not take a reference time", op)
	}
	return "(" + expr + " " + sqlOp + " " + ref + ")", nil
}

// refBetween compiles between whose bounds include a reference time; the
// other bound may be a value.
func (c *Compiled) refBetween(expr string, a *datamodel.Attribute, raw any) (string, bool, error) {
	if c.refs == nil {
		return "", false, nil
	}
	if v, err := fillParamExcept(c.q.Params, raw, c.refs); err == nil {
		raw = v
	}
	vs, ok := raw.([]any)
	if !ok || len(vs) != 2 {
		return "", false, nil
	}
	lo, loRef := c.refOf(vs[0])
	hi, hiRef := c.refOf(vs[1])
	if !loRef && !hiRef {
		return "", false, nil
	}
	if a.Type != datamodel.TypeTimestamp {
		return "", true, fmt.Errorf("a reference time ($%s, $%s) compares with timestamps, not %s", RefSentAt, RefWindowEnd, a.Type)
	}
	side := func(v any, ref string, isRef bool, op string) (string, error) {
		if isRef {
			return "(" + expr + " " + op + " " + ref + ")", nil
		}
		x, err := oneValue(c.q.Params, v)
		if err != nil {
			return "", err
		}
		t, err := Coerce(a, x)
		if err != nil {
			return "", err
		}
		return c.compare(expr, a, map[string]string{">=": OpGe, "<=": OpLe}[op], t)
	}
	l, err := side(vs[0], lo, loRef, ">=")
	if err != nil {
		return "", true, err
	}
	h, err := side(vs[1], hi, hiRef, "<=")
	if err != nil {
		return "", true, err
	}
	return "(" + l + " AND " + h + ")", true, nil
}

// fillParamExcept fills a parameter standing for a whole list, unless it
// names a reference.
func fillParamExcept(params map[string]any, v any, refs map[string]string) (any, error) {
	if name, ok := paramPlaceholder(v); ok {
		if _, isRef := refs[name]; isRef {
			return v, nil
		}
	}
	return fillParam(params, v)
}

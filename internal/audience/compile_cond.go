package audience

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// condition compiles "expr op value" for an expression holding values of
// attribute a's type, with the operator table's entry for op. Values are
// coerced to that type, bound as arguments and, where a column cannot hold
// them exactly (decimals with more digits than the scale, timestamps finer
// than a microsecond), replaced by the nearest value on the right side so
// the comparison stays exact.
func (c *Compiled) condition(expr string, a *datamodel.Attribute, op string, raw any, ci bool) (string, error) {
	if a.Type == datamodel.TypeJSON && op != OpIsNull && op != OpIsNotNull {
		return "", fmt.Errorf("json attributes take no conditions but is_null and is_not_null")
	}
	o, ok := operators[op]
	if !ok {
		return "", fmt.Errorf("unknown operator %q", op)
	}
	return o.compile(c, expr, a, op, raw, ci)
}

// nullCond compiles is_null and is_not_null.
func (c *Compiled) nullCond(expr string, _ *datamodel.Attribute, op string, _ any, _ bool) (string, error) {
	if op == OpIsNull {
		return "(" + expr + " IS NULL)", nil
	}
	return "(" + expr + " IS NOT NULL)", nil
}

// emptyCond compiles is_empty and is_not_empty.
func (c *Compiled) emptyCond(expr string, a *datamodel.Attribute, op string, _ any, _ bool) (string, error) {
	if !textType(a) {
		return "", fmt.Errorf("%s takes strings, not %s", op, a.Type)
	}
	if op == OpIsEmpty {
		return "(" + expr + " IS NULL OR " + expr + " = '')", nil
	}
	return "(" + expr + " IS NOT NULL AND " + expr + " <> '')", nil
}

// compareCond compiles = != < <= > >= before after.
func (c *Compiled) compareCond(expr string, a *datamodel.Attribute, op string, raw any, _ bool) (string, error) {
	if err := orderingCheck(op, a); err != nil {
		return "", err
	}
	if ref, ok := c.refOf(raw); ok {
		return c.refCompare(expr, a, op, ref)
	}
	v, err := oneValue(c.q.Params, raw)
	if err != nil {
		return "", err
	}
	x, err := Coerce(a, v)
	if err != nil {
		return "", err
	}
	return c.compare(expr, a, op, x)
}

// inCond compiles in and not_in.
func (c *Compiled) inCond(expr string, a *datamodel.Attribute, op string, raw any, _ bool) (string, error) {
	if a.Type == datamodel.TypeBoolean {
		return "", fmt.Errorf("%s does not take booleans", op)
	}
	vs, err := listValues(c.q.Params, raw)
	if err != nil {
		return "", err
	}
	if len(vs) == 0 || len(vs) > MaxInValues {
		return "", fmt.Errorf("%s takes 1 to %d values, got %d", op, MaxInValues, len(vs))
	}
	xs, err := coerceValues(a, vs)
	if err != nil {
		return "", err
	}
	var los []any
	for _, x := range xs {
		lo, _, exact := snapValue(a, x)
		if !exact {
			continue // no stored value equals it
		}
		los = append(los, lo)
	}
	switch {
	case len(los) == 0 && op == OpIn:
		return "(" + expr + " <> " + expr + ")", nil // false, or null for null
	case len(los) == 0:
		return "(" + expr + " = " + expr + ")", nil
	case c.d.ArrayLists():
		list, elem, err := arrayOf(a, los)
		if err != nil {
			return "", err
		}
		in := c.d.InList(expr, c.Bind(list), elem)
		if op == OpIn {
			return "(" + in + ")", nil
		}
		return "(NOT (" + in + "))", nil
	}
	var ph []string
	for _, lo := range los {
		p, err := c.bind(a, lo)
		if err != nil {
			return "", err
		}
		ph = append(ph, p)
	}
	if op == OpIn {
		return "(" + expr + " IN (" + strings.Join(ph, ", ") + "))", nil
	}
	return "(" + expr + " NOT IN (" + strings.Join(ph, ", ") + "))", nil
}

// betweenCond compiles between.
func (c *Compiled) betweenCond(expr string, a *datamodel.Attribute, op string, raw any, _ bool) (string, error) {
	if err := orderingCheck(op, a); err != nil {
		return "", err
	}
	if cond, ok, err := c.refBetween(expr, a, raw); ok || err != nil {
		return cond, err
	}
	vs, err := listValues(c.q.Params, raw)
	if err != nil {
		return "", err
	}
	if len(vs) != 2 {
		return "", fmt.Errorf("between takes two values, got %d", len(vs))
	}
	xs, err := coerceValues(a, vs)
	if err != nil {
		return "", err
	}
	_, from, _ := snapValue(a, xs[0])
	to, _, _ := snapValue(a, xs[1])
	return c.between(expr, a, from, to)
}

// textCond compiles contains, starts_with and ends_with.
func (c *Compiled) textCond(expr string, a *datamodel.Attribute, op string, raw any, ci bool) (string, error) {
	if !textType(a) {
		return "", fmt.Errorf("%s takes strings, not %s", op, a.Type)
	}
	v, err := oneValue(c.q.Params, raw)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %s", describe(v))
	}
	col, val := expr, "CAST("+c.Arg(s)+" AS TEXT)"
	if ci {
		col, val = "lower("+col+")", "lower("+val+")"
	}
	// strpos, left and right read the value literally: no wildcards.
	switch op {
	case OpContains:
		return "(strpos(" + col + ", " + val + ") > 0)", nil
	case OpStartsWith:
		return "(left(" + col + ", length(" + val + ")) = " + val + ")", nil
	}
	return "(right(" + col + ", length(" + val + ")) = " + val + ")", nil
}

// withinCond compiles within_last and within_next.
func (c *Compiled) withinCond(expr string, a *datamodel.Attribute, op string, raw any, _ bool) (string, error) {
	if !timeType(a) {
		return "", fmt.Errorf("%s takes dates and timestamps, not %s", op, a.Type)
	}
	v, err := oneValue(c.q.Params, raw)
	if err != nil {
		return "", err
	}
	d, err := durationValue(v)
	if err != nil {
		return "", err
	}
	sign := -1
	if op == OpWithinNext {
		sign = 1
	}
	if a.Type == datamodel.TypeDate {
		from, to := dateWindow(c.now, c.loc, d, sign)
		return c.between(expr, a, from, to)
	}
	other := d.Shift(c.now.In(c.loc), sign).UTC()
	from, to := other, c.now
	if sign > 0 {
		from, to = c.now, other
	}
	_, fromUp, _ := snapValue(a, from)
	toDown, _, _ := snapValue(a, to)
	return c.between(expr, a, fromUp, toDown)
}

// dayOfWeekCond compiles day_of_week.
func (c *Compiled) dayOfWeekCond(expr string, a *datamodel.Attribute, _ string, raw any, _ bool) (string, error) {
	if !timeType(a) {
		return "", fmt.Errorf("day_of_week takes dates and timestamps, not %s", a.Type)
	}
	days, err := weekdayValues(c.q.Params, raw)
	if err != nil {
		return "", err
	}
	day := expr
	if a.Type == datamodel.TypeTimestamp {
		day = "(" + expr + " AT TIME ZONE CAST(" + c.Arg(c.loc.String()) + " AS TEXT))"
	}
	ph := make([]string, len(days))
	for i, w := range days {
		ph[i] = "CAST(" + c.Arg(int64(w)) + " AS INTEGER)"
	}
	return "(CAST(extract(dow from " + day + ") AS INTEGER) IN (" + strings.Join(ph, ", ") + "))", nil
}

// anniversaryCond compiles anniversary_within.
func (c *Compiled) anniversaryCond(expr string, a *datamodel.Attribute, _ string, raw any, _ bool) (string, error) {
	if a.Type != datamodel.TypeDate {
		return "", fmt.Errorf("anniversary_within takes dates, not %s", a.Type)
	}
	v, err := oneValue(c.q.Params, raw)
	if err != nil {
		return "", err
	}
	n, err := dayCount(v)
	if err != nil {
		return "", err
	}
	mds := anniversaryDays(todayIn(c.now, c.loc), n)
	ph := make([]string, len(mds))
	for i, md := range mds {
		ph[i] = "CAST(" + c.Arg(int64(md)) + " AS INTEGER)"
	}
	return "((CAST(extract(month from " + expr + ") AS INTEGER) * 100 + CAST(extract(day from " + expr + ") AS INTEGER)) IN (" +
		strings.Join(ph, ", ") + "))", nil
}

// anniversaryDays lists month*100+day for the days from t to t+n; in a year
// without 29 February, 28 February also stands for it.
func anniversaryDays(t time.Time, n int) []int {
	seen := map[int]bool{}
	for i := 0; i <= n; i++ {
		d := t.AddDate(0, 0, i)
		seen[int(d.Month())*100+d.Day()] = true
		if d.Month() == time.February && d.Day() == 28 && time.Date(d.Year(), time.February, 29, 0, 0, 0, 0, time.UTC).Month() != time.February {
			seen[229] = true
		}
	}
	out := make([]int, 0, len(seen))
	for md := range seen {
		out = append(out, md)
	}
	sort.Ints(out)
	return out
}

// opTakes checks an ordering operator against the attribute's type.
func orderingCheck(op string, a *datamodel.Attribute) error {
	switch op {
	case OpEq, OpNe:
		return nil
	case OpBefore, OpAfter:
		if !timeType(a) {
			return fmt.Errorf("%s takes dates and timestamps, not %s", op, a.Type)
		}
		return nil
	}
	if a.Type == datamodel.TypeBoolean {
		return fmt.Errorf("%s does not take booleans", op)
	}
	return nil
}

func textType(a *datamodel.Attribute) bool {
	return a.Type == datamodel.TypeString || a.Type == datamodel.TypeEnum
}

func timeType(a *datamodel.Attribute) bool {
	return a.Type == datamodel.TypeDate || a.Type == datamodel.TypeTimestamp
}

// ordered prepares an expression for <, >, between: PostgreSQL compares
// text by the database's collation, so byte order (DuckDB's, and Go's) is
// asked for explicitly.
func (c *Compiled) ordered(expr string, a *datamodel.Attribute) string {
	if textType(a) {
		return c.d.Bytewise(expr)
	}
	return expr
}

// compare compiles a single-value comparison of typed value x.
func (c *Compiled) compare(expr string, a *datamodel.Attribute, op string, x any) (string, error) {
	lo, hi, exact := snapValue(a, x)
	var sqlOp string
	var v any
	switch op {
	case OpEq, OpNe:
		if !exact {
			// No stored value equals x: = is false and != true, null for null.
			if op == OpEq {
				return "(" + expr + " <> " + expr + ")", nil
			}
			return "(" + expr + " = " + expr + ")", nil
		}
		sqlOp, v = "=", lo
		if op == OpNe {
			sqlOp = "<>"
		}
	case OpLt, OpBefore:
		sqlOp, v = "<", hi
	case OpLe:
		sqlOp, v = "<=", lo
	case OpGt, OpAfter:
		sqlOp, v = ">", lo
	case OpGe:
		sqlOp, v = ">=", hi
	}
	p, err := c.bind(a, v)
	if err != nil {
		return "", err
	}
	if sqlOp != "=" && sqlOp != "<>" {
		expr = c.ordered(expr, a)
	}
	return "(" + expr + " " + sqlOp + " " + p + ")", nil
}

func (c *Compiled) between(expr string, a *datamodel.Attribute, from, to any) (string, error) {
	pf, err := c.bind(a, from)
	if err != nil {
		return "", err
	}
	pt, err := c.bind(a, to)
	if err != nil {
		return "", err
	}
	return "(" + c.ordered(expr, a) + " BETWEEN " + pf + " AND " + pt + ")", nil
}

// average compiles a comparison of avg = sum/n with a value p/q as
// sum*q op p*n, exact in both databases (DuckDB's avg of decimals is a
// double). With no values sum is null and so is the comparison.
func (c *Compiled) average(sum, n string, a *datamodel.Attribute, op string, raw any) (string, error) {
	_, scale := a.DecimalShape()
	if a.Type == datamodel.TypeInteger {
		scale = 0
	}
	s := "CAST(" + sum + fmt.Sprintf(" AS DECIMAL(38,%d))", scale)
	side := func(sqlOp string, v any) (string, error) {
		x, err := Coerce(avgAttr, v)
		if err != nil {
			return "", err
		}
		r := x.(*big.Rat)
		num, den := r.Num().String(), r.Denom().String()
		if len(strings.TrimPrefix(num, "-")) > 38 || len(den) > 38 {
			return "", fmt.Errorf("value %s is out of range", r.RatString())
		}
		return "(" + s + " * CAST(" + c.Arg(den) + " AS DECIMAL(38,0)) " + sqlOp + " CAST(" + c.Arg(num) + " AS DECIMAL(38,0)) * " + n + ")", nil
	}
	switch op {
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		v, err := oneValue(c.q.Params, raw)
		if err != nil {
			return "", err
		}
		return side(map[string]string{OpEq: "=", OpNe: "<>", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">="}[op], v)
	case OpBetween:
		vs, err := listValues(c.q.Params, raw)
		if err != nil {
			return "", err
		}
		if len(vs) != 2 {
			return "", fmt.Errorf("between takes two values, got %d", len(vs))
		}
		lo, err := side(">=", vs[0])
		if err != nil {
			return "", err
		}
		hi, err := side("<=", vs[1])
		if err != nil {
			return "", err
		}
		return "(" + lo + " AND " + hi + ")", nil
	}
	return "", fmt.Errorf("avg takes =, !=, <, <=, >, >= and between, not %s", op)
}

// avgAttr reads the value an average is compared with: any number.
var avgAttr = &datamodel.Attribute{Name: "avg", Type: datamodel.TypeDecimal, Precision: datamodel.MaxPrecision}

// snap returns the values a column of a's type can hold just below and
// above x (both x when it can hold x exactly).
func snapValue(a *datamodel.Attribute, x any) (lo, hi any, exact bool) {
	switch v := x.(type) {
	case *big.Rat:
		if a.Type != datamodel.TypeDecimal {
			break
		}
		_, scale := a.DecimalShape()
		unit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
		scaled := new(big.Int).Mul(v.Num(), unit)
		floor := new(big.Int).Div(scaled, v.Denom()) // Euclidean: floor for a positive divisor
		l := new(big.Rat).SetFrac(floor, unit)
		if l.Cmp(v) == 0 {
			return l, l, true
		}
		return l, new(big.Rat).SetFrac(floor.Add(floor, big.NewInt(1)), unit), false
	case time.Time:
		if a.Type != datamodel.TypeTimestamp {
			break
		}
		l := v.UTC().Truncate(time.Microsecond)
		if l.Equal(v) {
			return l, l, true
		}
		return l, l.Add(time.Microsecond), false
	}
	return x, x, true
}

// arrayOf returns typed values (snapped as bind takes them) as one array
// argument for InList, and the SQL type of its elements. Each element is
// what bind would bind for it alone.
func arrayOf(a *datamodel.Attribute, xs []any) (any, string, error) {
	switch a.Type {
	case datamodel.TypeInteger:
		out := make([]int64, len(xs))
		for i, x := range xs {
			v, ok := x.(int64)
			if !ok {
				return nil, "", fmt.Errorf("cannot bind %T to a %s attribute", x, a.Type)
			}
			out[i] = v
		}
		return out, "BIGINT", nil
	case datamodel.TypeTimestamp:
		out := make([]time.Time, len(xs))
		for i, x := range xs {
			v, ok := x.(time.Time)
			if !ok {
				return nil, "", fmt.Errorf("cannot bind %T to a %s attribute", x, a.Type)
			}
			out[i] = v.UTC()
		}
		return out, "TIMESTAMPTZ", nil
	case datamodel.TypeDecimal, datamodel.TypeString, datamodel.TypeEnum, datamodel.TypeDate:
		// Decimals as exact text, dates as YYYY-MM-DD, as bind binds them.
		out := make([]string, len(xs))
		for i, x := range xs {
			s, err := textValue(a, x)
			if err != nil {
				return nil, "", err
			}
			out[i] = s
		}
		elem := "VARCHAR"
		switch a.Type {
		case datamodel.TypeDecimal:
			_, scale := a.DecimalShape()
			elem = fmt.Sprintf("DECIMAL(%d,%d)", datamodel.MaxPrecision, scale)
		case datamodel.TypeDate:
			elem = "DATE"
		}
		return out, elem, nil
	}
	return nil, "", fmt.Errorf("%s attributes take no lists", a.Type)
}

// bind binds a typed value and returns a placeholder cast to the column
// type, so both databases read it the same way.
func (c *Compiled) bind(a *datamodel.Attribute, x any) (string, error) {
	switch a.Type {
	case datamodel.TypeInteger:
		if v, ok := x.(int64); ok {
			return "CAST(" + c.Arg(v) + " AS BIGINT)", nil
		}
	case datamodel.TypeDecimal:
		s, err := textValue(a, x)
		if err != nil {
			return "", err
		}
		_, scale := a.DecimalShape()
		return "CAST(" + c.Arg(s) + fmt.Sprintf(" AS DECIMAL(%d,%d))", datamodel.MaxPrecision, scale), nil
	case datamodel.TypeString, datamodel.TypeEnum:
		s, err := textValue(a, x)
		if err != nil {
			return "", err
		}
		return "CAST(" + c.Arg(s) + " AS TEXT)", nil
	case datamodel.TypeBoolean:
		if v, ok := x.(bool); ok {
			return "CAST(" + c.Arg(v) + " AS BOOLEAN)", nil
		}
	case datamodel.TypeDate:
		s, err := textValue(a, x)
		if err != nil {
			return "", err
		}
		return "CAST(" + c.Arg(s) + " AS DATE)", nil
	case datamodel.TypeTimestamp:
		if v, ok := x.(time.Time); ok {
			return "CAST(" + c.Arg(v.UTC()) + " AS TIMESTAMPTZ)", nil
		}
	}
	return "", fmt.Errorf("cannot bind %T to a %s attribute", x, a.Type)
}

// textValue is the text bind binds for a decimal (exact, at the
// attribute's scale), a string or a date (YYYY-MM-DD).
func textValue(a *datamodel.Attribute, x any) (string, error) {
	switch v := x.(type) {
	case *big.Rat:
		if a.Type == datamodel.TypeDecimal {
			_, scale := a.DecimalShape()
			s, exact := exactDecimal(v, scale)
			intDigits := len(strings.TrimPrefix(strings.SplitN(s, ".", 2)[0], "-"))
			if !exact || intDigits > datamodel.MaxPrecision-scale {
				return "", fmt.Errorf("number %s is out of range", v.FloatString(scale))
			}
			return s, nil
		}
	case string:
		if a.Type == datamodel.TypeString || a.Type == datamodel.TypeEnum {
			return v, nil
		}
	case time.Time:
		if a.Type == datamodel.TypeDate {
			return v.Format("2006-01-02"), nil
		}
	}
	return "", fmt.Errorf("cannot bind %T to a %s attribute", x, a.Type)
}

package audience

import (
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// Reading a condition's value: parameters, lists, durations. Shared by the
// compiler and the reference evaluator so both read values the same way;
// what a value means is decided separately by each.

// paramName returns the name of a {"param": …} placeholder.
func paramPlaceholder(v any) (string, bool) {
	switch p := v.(type) {
	case Param:
		return p.Param, true
	case *Param:
		if p != nil {
			return p.Param, true
		}
	case map[string]any:
		if len(p) == 1 {
			if name, ok := p["param"].(string); ok {
				return name, true
			}
		}
	}
	return "", false
}

// fill replaces a parameter placeholder by its value.
func fillParam(params map[string]any, v any) (any, error) {
	name, ok := paramPlaceholder(v)
	if !ok {
		return v, nil
	}
	pv, ok := params[name]
	if !ok {
		return nil, fmt.Errorf("parameter %q has no value", name)
	}
	if _, nested := paramPlaceholder(pv); nested {
		return nil, fmt.Errorf("parameter %q is itself a parameter", name)
	}
	return pv, nil
}

// one returns a condition's single value with its parameter filled.
func oneValue(params map[string]any, v any) (any, error) {
	v, err := fillParam(params, v)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("a value is required")
	}
	if isListValue(v) {
		return nil, fmt.Errorf("want one value, got a list")
	}
	return v, nil
}

// list returns a condition's list of values, each parameter filled (the
// whole list or any element may be a parameter).
func listValues(params map[string]any, v any) ([]any, error) {
	v, err := fillParam(params, v)
	if err != nil {
		return nil, err
	}
	rv := reflect.ValueOf(v)
	if !isListValue(v) {
		return nil, fmt.Errorf("want a list of values, got %s", describe(v))
	}
	out := make([]any, rv.Len())
	for i := range out {
		x, err := oneValue(params, rv.Index(i).Interface())
		if err != nil {
			return nil, fmt.Errorf("value %d: %w", i+1, err)
		}
		out[i] = x
	}
	return out, nil
}

func isListValue(v any) bool {
	if v == nil {
		return false
	}
	k := reflect.TypeOf(v).Kind()
	_, bytes := v.([]byte)
	return (k == reflect.Slice || k == reflect.Array) && !bytes
}

// coerceList coerces every value of a list to the attribute's type.
func coerceValues(a *datamodel.Attribute, vs []any) ([]any, error) {
	out := make([]any, len(vs))
	for i, v := range vs {
		x, err := Coerce(a, v)
		if err != nil {
			return nil, fmt.Errorf("value %d: %w", i+1, err)
		}
		out[i] = x
	}
	return out, nil
}

// durationValue reads a duration such as "90d".
func durationValue(v any) (Duration, error) {
	switch x := v.(type) {
	case Duration:
		if x.N < 0 {
			return Duration{}, fmt.Errorf("duration %s is negative", x)
		}
		return x, nil
	case string:
		return ParseDuration(x)
	}
	return Duration{}, fmt.Errorf("want a duration such as 90d, got %s", describe(v))
}

// dayCount reads anniversary_within's number of days: a number, "7" or
// "7d" (weeks also convert), 0–366.
func dayCount(v any) (int, error) {
	n := -1
	switch x := v.(type) {
	case int:
		n = x
	case int64:
		n = int(x)
	case float64:
		if x == float64(int(x)) {
			n = int(x)
		}
	case interface{ Int64() (int64, error) }: // json.Number
		if i, err := x.Int64(); err == nil {
			n = int(i)
		}
	case Duration:
		if d, cal := x.Days(); !cal && (x.Unit == "d" || x.Unit == "w") {
			n = d
		}
	case string:
		if i, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			n = i
		} else if d, err := ParseDuration(x); err == nil && (d.Unit == "d" || d.Unit == "w") {
			n, _ = d.Days()
		}
	}
	if n < 0 || n > 366 {
		return 0, fmt.Errorf("want a number of days from 0 to 366, got %s", describe(v))
	}
	return n, nil
}

// weekdays reads day_of_week's list of day names.
func weekdayValues(params map[string]any, v any) ([]time.Weekday, error) {
	filled, err := fillParam(params, v)
	if err != nil {
		return nil, err
	}
	var names []any
	if s, ok := filled.(string); ok {
		names = []any{s}
	} else if names, err = listValues(params, filled); err != nil {
		return nil, err
	}
	out := make([]time.Weekday, 0, len(names))
	for _, n := range names {
		s, ok := n.(string)
		if !ok {
			return nil, fmt.Errorf("want day names such as mon, got %s", describe(n))
		}
		w, err := ParseWeekday(s)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("want at least one day")
	}
	return out, nil
}

// today returns the civil date of now in loc, as UTC midnight like dates.
func todayIn(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dateWindow returns the first and last dates of within_last/within_next on
// a date attribute (sign -1 or +1).
func dateWindow(now time.Time, loc *time.Location, d Duration, sign int) (from, to time.Time) {
	t := todayIn(now, loc)
	var other time.Time
	if days, calendar := d.Days(); calendar {
		other = d.Shift(t, sign)
	} else {
		other = t.AddDate(0, 0, sign*days)
	}
	if sign < 0 {
		return other, t
	}
	return t, other
}

// ratString writes an exact decimal with at most scale digits after the
// point; ok is false when r needs more.
func exactDecimal(r *big.Rat, scale int) (string, bool) {
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	if new(big.Rat).Mul(r, new(big.Rat).SetInt(p)).IsInt() {
		return r.FloatString(scale), true
	}
	return "", false
}

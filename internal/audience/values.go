package audience

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// Value conversions shared by validation, compilation and the reference
// evaluator, so all three read a query's values the same way.
//
// Typed values: int64 (integer), *big.Rat (decimal), string (string, enum),
// bool (boolean), time.Time (date: UTC midnight; timestamp: UTC).

// Duration is a span such as 90d: N units of s, min, h, d, w, mo or y.
type Duration struct {
	N    int
	Unit string
}

// Duration units.
var durationUnits = []string{"s", "min", "h", "d", "w", "mo", "y"}

// ParseDuration reads "90d", "2h", "15min", "3mo", "1y", "2w".
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 6 {
		return Duration{}, fmt.Errorf("duration %q: want a number of units such as 90d, 12h, 30min, 45s, 3mo, 1y", s)
	}
	n, _ := strconv.Atoi(s[:i])
	unit := s[i:]
	for _, u := range durationUnits {
		if u == unit {
			return Duration{N: n, Unit: unit}, nil
		}
	}
	return Duration{}, fmt.Errorf("duration %q: unit must be one of s, min, h, d, w, mo, y", s)
}

// String prints the duration as ParseDuration reads it.
func (d Duration) String() string { return strconv.Itoa(d.N) + d.Unit }

// Shift moves t by sign×d, using the calendar of t's location for days,
// weeks, months and years.
func (d Duration) Shift(t time.Time, sign int) time.Time {
	n := d.N * sign
	switch d.Unit {
	case "s":
		return t.Add(time.Duration(n) * time.Second)
	case "min":
		return t.Add(time.Duration(n) * time.Minute)
	case "h":
		return t.Add(time.Duration(n) * time.Hour)
	case "d":
		return t.AddDate(0, 0, n)
	case "w":
		return t.AddDate(0, 0, 7*n)
	case "mo":
		return t.AddDate(0, n, 0)
	case "y":
		return t.AddDate(n, 0, 0)
	}
	return t
}

// Days returns the duration in whole days for date comparisons: minutes
// and hours round down.
func (d Duration) Days() (days int, calendar bool) {
	switch d.Unit {
	case "s":
		return d.N / (24 * 60 * 60), false
	case "min":
		return d.N / (24 * 60), false
	case "h":
		return d.N / 24, false
	case "d":
		return d.N, false
	case "w":
		return 7 * d.N, false
	}
	return 0, true
}

// Weekdays are the names day_of_week takes, Sunday first as in time.Weekday.
var Weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseWeekday returns the time.Weekday of a name such as "mon".
func ParseWeekday(s string) (time.Weekday, error) {
	for i, w := range Weekdays {
		if strings.EqualFold(s, w) {
			return time.Weekday(i), nil
		}
	}
	return 0, fmt.Errorf("day %q: want one of mon, tue, wed, thu, fri, sat, sun", s)
}

// Coerce converts a JSON value (as decoded by encoding/json, with numbers
// as float64 or json.Number) to the typed value of an attribute.
func Coerce(a *datamodel.Attribute, v any) (any, error) {
	switch a.Type {
	case datamodel.TypeString, datamodel.TypeEnum:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %s", describe(v))
		}
		if a.Type == datamodel.TypeEnum && !inList(a.Values, s) {
			return nil, fmt.Errorf("%q is not one of %s", s, strings.Join(a.Values, ", "))
		}
		return s, nil
	case datamodel.TypeInteger:
		return coerceInteger(v)
	case datamodel.TypeDecimal:
		return coerceDecimal(a, v)
	case datamodel.TypeBoolean:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want true or false, got %s", describe(v))
		}
		return b, nil
	case datamodel.TypeDate:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a date (YYYY-MM-DD), got %s", describe(v))
		}
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return nil, fmt.Errorf("want a date (YYYY-MM-DD), got %q", s)
		}
		return t, nil
	case datamodel.TypeTimestamp:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a timestamp (RFC 3339), got %s", describe(v))
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			if d, derr := time.Parse("2006-01-02", s); derr == nil {
				return d, nil
			}
			return nil, fmt.Errorf("want a timestamp (RFC 3339, such as 2024-03-31T09:30:00Z), got %q", s)
		}
		if t.Year() < 1 || t.Year() > 9999 {
			return nil, fmt.Errorf("timestamp %q is out of range (years 1–9999)", s)
		}
		return t.UTC(), nil
	}
	return nil, fmt.Errorf("attributes of type %s take no values", a.Type)
}

// coerceInteger converts a JSON value to an integer attribute's int64; a
// float64 must be whole and within ±9e15, where it is still exact.
func coerceInteger(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want an integer, got %s", x)
		}
		return n, nil
	case float64:
		if x != float64(int64(x)) || x > 9e15 || x < -9e15 {
			return nil, fmt.Errorf("want an integer, got %v", x)
		}
		return int64(x), nil
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	}
	return nil, fmt.Errorf("want an integer, got %s", describe(v))
}

// coerceDecimal converts a JSON value, a string or a *big.Rat to a
// decimal attribute's *big.Rat: at most 40 digits before the point, for an
// attribute whose precision is valid.
func coerceDecimal(a *datamodel.Attribute, v any) (any, error) {
	var r *big.Rat
	switch x := v.(type) {
	case json.Number:
		r, _ = new(big.Rat).SetString(string(x))
	case float64:
		r, _ = new(big.Rat).SetString(strconv.FormatFloat(x, 'f', -1, 64))
	case int:
		r = new(big.Rat).SetInt64(int64(x))
	case int64:
		r = new(big.Rat).SetInt64(x)
	case string:
		r, _ = new(big.Rat).SetString(x)
	case *big.Rat:
		r = x
	}
	if r == nil {
		return nil, fmt.Errorf("want a number, got %s", describe(v))
	}
	if p, _ := a.DecimalShape(); len(r.FloatString(0)) > 40 || p <= 0 {
		return nil, fmt.Errorf("number %s is out of range", r.FloatString(2))
	}
	return r, nil
}

func inList(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case float64, json.Number:
		return fmt.Sprint(x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

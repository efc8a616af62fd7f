package ingest

import (
	"errors"
	"strconv"
	"strings"
)

// decimalConverter accepts decimal numbers with at most precision-scale
// integer digits and scale fraction digits (trailing zeros aside), and
// returns their canonical text: no plus sign, no leading or trailing zeros,
// no exponent, "0" rather than "-0".
func decimalConverter(precision, scale int) Converter {
	errPlaces := errors.New("more than " + strconv.Itoa(scale) + " decimal places")
	if scale == 0 {
		errPlaces = errors.New("no decimal places allowed")
	}
	errLarge := errors.New("too large for decimal(" + strconv.Itoa(precision) + "," + strconv.Itoa(scale) +
		"): more than " + strconv.Itoa(precision-scale) + " digits before the decimal point")
	return func(raw any) (any, error) {
		s, ok := textOf(raw)
		if !ok {
			if raw == nil {
				return nil, nil
			}
			return nil, errNotDecimal
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil
		}
		d, ok := parseDecimal(s)
		if !ok {
			return nil, errNotDecimal
		}
		if len(d.frac) > scale {
			return nil, errPlaces
		}
		if len(d.int) > precision-scale {
			return nil, errLarge
		}
		if d.canonical {
			if r, ok := raw.(string); ok && len(r) == len(s) {
				return raw, nil // already boxed: returning it saves an allocation
			}
			return s, nil
		}
		return d.text(), nil
	}
}

// decimal is a parsed decimal number: int without leading zeros, frac
// without trailing zeros. canonical says the input was already written as
// text() would write it.
type decimal struct {
	neg       bool
	int, frac string
	canonical bool
}

// maxDecimalExp bounds exponents: beyond it a non-zero number has more
// digits than any column holds, so the clamped number is rejected all the
// same without building a huge string.
const maxDecimalExp = 400

// parseDecimal reads [+-]digits[.digits][(e|E)[+-]digits], with digits on at
// least one side of the point.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	plus := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		plus = s[i] == '+'
		i++
	}
	st := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	rawInt := s[st:i]
	rawFrac := ""
	point := false
	if i < len(s) && s[i] == '.' {
		point = true
		i++
		st = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		rawFrac = s[st:i]
	}
	if rawInt == "" && rawFrac == "" {
		return d, false
	}
	exp, hasExp := 0, false
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		hasExp = true
		var ok bool
		if exp, i, ok = parseExponent(s, i+1); !ok {
			return d, false
		}
	}
	if i != len(s) {
		return d, false
	}
	d.int = strings.TrimLeft(rawInt, "0")
	d.frac = strings.TrimRight(rawFrac, "0")
	if d.int == "" && d.frac == "" {
		zero := !d.neg && !plus && !hasExp && (rawInt == "0") && !point
		return decimal{canonical: zero}, true
	}
	if exp != 0 {
		d.int, d.frac = shiftPoint(d.int, d.frac, exp)
	}
	d.canonical = !plus && !hasExp && rawFrac == d.frac && point == (rawFrac != "") &&
		((rawInt == d.int && rawInt != "") || (d.int == "" && rawInt == "0"))
	return d, true
}

// parseExponent reads an exponent's [+-]digits from s[i:], clamped to
// ±(maxDecimalExp+1), and returns it with the index after it; ok is false
// when there are no digits.
func parseExponent(s string, i int) (exp, next int, ok bool) {
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	st := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if exp <= maxDecimalExp {
			exp = exp*10 + int(s[i]-'0')
		}
		i++
	}
	if i == st {
		return 0, i, false
	}
	if exp > maxDecimalExp {
		exp = maxDecimalExp + 1
	}
	if neg {
		exp = -exp
	}
	return exp, i, true
}

// shiftPoint moves the decimal point of whole.frac (both without redundant
// zeros) exp places to the right (left when negative) and returns the
// digits on either side, again without redundant zeros.
func shiftPoint(whole, frac string, exp int) (string, string) {
	all := whole + frac
	at := len(whole) + exp
	switch {
	case at <= 0:
		whole, frac = "", strings.Repeat("0", -at)+all
	case at >= len(all):
		whole, frac = all+strings.Repeat("0", at-len(all)), ""
	default:
		whole, frac = all[:at], all[at:]
	}
	return strings.TrimLeft(whole, "0"), strings.TrimRight(frac, "0")
}

// text writes the number canonically.
func (d decimal) text() string {
	if d.int == "" && d.frac == "" {
		return "0"
	}
	n := len(d.int) + len(d.frac) + 3
	b := make([]byte, 0, n)
	if d.neg {
		b = append(b, '-')
	}
	if d.int == "" {
		b = append(b, '0')
	} else {
		b = append(b, d.int...)
	}
	if d.frac != "" {
		b = append(b, '.')
		b = append(b, d.frac...)
	}
	return string(b)
}

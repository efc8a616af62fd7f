package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// Reasons a value is refused. They are fixed errors so the hot path does
// not allocate to explain a bad value; the caller puts Error() in a Reject.
var (
	errNUL           = errors.New("contains a NUL byte")
	errNotString     = errors.New("not a string")
	errNotInteger    = errors.New("not an integer")
	errIntRange      = errors.New("integer out of range (64-bit)")
	errNotDecimal    = errors.New("not a decimal number")
	errNotBoolean    = errors.New("not a boolean, want true, false, 1, 0, yes, no, t, f, y or n")
	errNotDate       = errors.New("invalid date, want YYYY-MM-DD")
	errNotTimestamp  = errors.New("invalid timestamp, want RFC 3339 (2024-03-31T09:30:00Z) or YYYY-MM-DD[ HH:MM:SS[.fff]]")
	errYearRange     = errors.New("year outside 0001-9999")
	errNotJSON       = errors.New("invalid JSON")
	errJSONNULEscape = errors.New(`JSON contains \u0000, which cannot be stored`)
)

// ConverterFor returns the converter of raw file values for attribute a.
// Timestamps without an offset, and dates given for a timestamp, are read
// in loc (nil means UTC). Raw values are CSV strings or NDJSON values; an
// empty string and a JSON null are NULL for every type. For a json
// attribute a string is parsed as JSON text (the CSV reading); use
// ConverterForFormat to read NDJSON strings as JSON strings. The converter
// keeps no state and is safe for concurrent use.
//
// Results are string (string, enum, and decimal as canonical text), int64,
// bool, time.Time in UTC (date at midnight), and compact JSON text as string.
func ConverterFor(a *datamodel.Attribute, loc *time.Location) Converter {
	return ConverterForFormat(a, loc, FormatCSV)
}

// ConverterForFormat is ConverterFor for values read from a file of the
// given format. The formats differ only for json attributes: from NDJSON
// every value, strings included, is the JSON value itself; from CSV a string
// is JSON text.
func ConverterForFormat(a *datamodel.Attribute, loc *time.Location, format Format) Converter {
	if loc == nil {
		loc = time.UTC
	}
	switch a.Type {
	case datamodel.TypeString:
		return convertString
	case datamodel.TypeInteger:
		return convertInteger
	case datamodel.TypeDecimal:
		p, s := a.DecimalShape()
		return decimalConverter(p, s)
	case datamodel.TypeBoolean:
		return convertBoolean
	case datamodel.TypeDate:
		return convertDate
	case datamodel.TypeTimestamp:
		return func(raw any) (any, error) { return convertTimestamp(raw, loc) }
	case datamodel.TypeEnum:
		return enumConverter(a.Values)
	case datamodel.TypeJSON:
		if format == FormatNDJSON {
			return convertJSONValue
		}
		return convertJSONText
	}
	err := errors.New("attribute " + a.Name + " has unsupported type " + strconv.Quote(string(a.Type)))
	return func(any) (any, error) { return nil, err }
}

// textOf returns the text of a raw value that may stand for a scalar: a
// string or a JSON number. ok is false for anything else.
func textOf(raw any) (s string, ok bool) {
	switch v := raw.(type) {
	case string:
		return v, true
	case json.Number:
		return string(v), true
	}
	return "", false
}

// checkText refuses text that no database column should hold.
func checkText(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			return errNUL
		}
		if c >= utf8.RuneSelf {
			if !utf8.ValidString(s[i:]) {
				return invalidUTF8(s)
			}
			if strings.IndexByte(s[i:], 0) >= 0 {
				return errNUL
			}
			return nil
		}
	}
	return nil
}

// UTF8Error is text that is not UTF-8: no column of either store can hold
// it, so its row is rejected saying where.
type UTF8Error struct {
	// Byte is the first byte that is not UTF-8, at Position (from 1) of
	// the value or line.
	Byte     byte
	Position int
}

func (e *UTF8Error) Error() string {
	return fmt.Sprintf("invalid UTF-8 (byte 0x%02X at position %d)", e.Byte, e.Position)
}

// invalidUTF8 explains where s, which is not valid UTF-8, stops being it.
func invalidUTF8[T string | []byte](s T) error {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune([]byte(s[i:min(len(s), i+utf8.UTFMax)]))
		if r == utf8.RuneError && n <= 1 {
			return &UTF8Error{Byte: s[i], Position: i + 1}
		}
		i += n
	}
	return &UTF8Error{Position: len(s)}
}

func convertString(raw any) (any, error) {
	s, ok := textOf(raw)
	if !ok {
		if raw == nil {
			return nil, nil
		}
		return nil, errNotString
	}
	if s == "" {
		return nil, nil
	}
	if err := checkText(s); err != nil {
		return nil, err
	}
	if _, ok := raw.(string); ok {
		return raw, nil // already boxed: returning it saves an allocation
	}
	return s, nil
}

func convertInteger(raw any) (any, error) {
	s, ok := textOf(raw)
	if !ok {
		if raw == nil {
			return nil, nil
		}
		return nil, errNotInteger
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil {
		return n, nil
	}
	// 1.0 and 1e3 are integers too, as JSON writers like to spell them.
	d, ok := parseDecimal(s)
	if !ok {
		return nil, errNotInteger
	}
	if len(d.frac) > 0 {
		return nil, errNotInteger
	}
	if len(d.int) > 19 {
		return nil, errIntRange
	}
	n, err = strconv.ParseInt(d.text(), 10, 64)
	if err != nil {
		return nil, errIntRange
	}
	return n, nil
}

func convertBoolean(raw any) (any, error) {
	switch v := raw.(type) {
	case nil:
		return nil, nil
	case bool:
		return v, nil
	}
	s, ok := textOf(raw)
	if !ok {
		return nil, errNotBoolean
	}
	s = strings.TrimSpace(s)
	switch len(s) {
	case 0:
		return nil, nil
	case 1:
		switch s[0] {
		case '1', 't', 'T', 'y', 'Y':
			return true, nil
		case '0', 'f', 'F', 'n', 'N':
			return false, nil
		}
	case 2:
		if strings.EqualFold(s, "no") {
			return false, nil
		}
	case 3:
		if strings.EqualFold(s, "yes") {
			return true, nil
		}
	case 4:
		if strings.EqualFold(s, "true") {
			return true, nil
		}
	case 5:
		if strings.EqualFold(s, "false") {
			return false, nil
		}
	}
	return nil, errNotBoolean
}

func convertDate(raw any) (any, error) {
	s, ok := raw.(string)
	if !ok {
		if raw == nil {
			return nil, nil
		}
		return nil, errNotDate
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	y, m, d, ok := parseDate(s)
	if !ok || len(s) != 10 {
		return nil, errNotDate
	}
	if y < 1 {
		return nil, errYearRange
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

// parseDate reads YYYY-MM-DD at the start of s and checks that the day
// exists.
func parseDate(s string) (y, m, d int, ok bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// digits parses a short run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int(c)
	}
	return n, len(s) > 0
}

func convertTimestamp(raw any, loc *time.Location) (any, error) {
	s, ok := raw.(string)
	if !ok {
		if raw == nil {
			return nil, nil
		}
		return nil, errNotTimestamp
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	t, err := parseTimestamp(s, loc)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// parseTimestamp reads YYYY-MM-DD, or YYYY-MM-DD[T ]HH:MM:SS[.f] followed by
// an optional Z or ±HH:MM (also ±HHMM and ±HH). Without an offset the time
// is read in loc.
func parseTimestamp(s string, loc *time.Location) (time.Time, error) {
	y, mo, d, ok := parseDate(s)
	if !ok {
		return time.Time{}, errNotTimestamp
	}
	if y < 1 {
		return time.Time{}, errYearRange
	}
	var h, mi, sec, nsec int
	rest := s[10:]
	if rest != "" {
		if len(rest) < 9 || (rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ') || rest[3] != ':' || rest[6] != ':' {
			return time.Time{}, errNotTimestamp
		}
		var ok1, ok2, ok3 bool
		h, ok1 = digits(rest[1:3])
		mi, ok2 = digits(rest[4:6])
		sec, ok3 = digits(rest[7:9])
		if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || sec > 59 {
			return time.Time{}, errNotTimestamp
		}
		rest = rest[9:]
		if rest != "" && (rest[0] == '.' || rest[0] == ',') {
			i := 1
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			if i == 1 || i > 10 {
				return time.Time{}, errNotTimestamp
			}
			f, _ := digits(rest[1:i])
			for k := i; k < 10; k++ {
				f *= 10
			}
			nsec = f
			rest = rest[i:]
		}
	}
	at, off := loc, 0
	switch {
	case rest == "":
	case rest == "Z" || rest == "z":
		at = time.UTC
	case rest[0] == '+' || rest[0] == '-':
		var oh, om int
		var ok1, ok2 bool
		switch len(rest) {
		case 3: // ±HH
			oh, ok1 = digits(rest[1:3])
			ok2 = true
		case 5: // ±HHMM
			oh, ok1 = digits(rest[1:3])
			om, ok2 = digits(rest[3:5])
		case 6: // ±HH:MM
			oh, ok1 = digits(rest[1:3])
			om, ok2 = digits(rest[4:6])
			ok2 = ok2 && rest[3] == ':'
		}
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, errNotTimestamp
		}
		off = oh*3600 + om*60
		if rest[0] == '-' {
			off = -off
		}
		at = time.UTC
	default:
		return time.Time{}, errNotTimestamp
	}
	// An explicit offset is applied by hand rather than through
	// time.FixedZone, which would allocate a Location per value.
	t := time.Date(y, time.Month(mo), d, h, mi, sec, nsec, at).Add(-time.Duration(off) * time.Second).UTC()
	if (y == 1 || y == 9999) && (t.Year() < 1 || t.Year() > 9999) {
		return time.Time{}, errYearRange
	}
	return t, nil
}

// enumConverter accepts exactly one of values.
func enumConverter(values []string) Converter {
	list := values
	if len(list) > 12 {
		list = list[:12]
	}
	msg := "not one of: " + strings.Join(list, ", ")
	if len(values) > len(list) {
		msg += ", … (" + strconv.Itoa(len(values)) + " values)"
	}
	errNotOne := errors.New(msg)
	// The results are boxed once here, so that converting allocates
	// nothing, and are the declared strings, so that a kept value does not
	// pin the input line's memory.
	boxed := make([]any, len(values))
	for i, v := range values {
		boxed[i] = v
	}
	var set map[string]int
	if len(values) > 8 {
		set = make(map[string]int, len(values))
		for i, v := range values {
			set[v] = i
		}
	}
	return func(raw any) (any, error) {
		s, ok := textOf(raw)
		if !ok {
			if raw == nil {
				return nil, nil
			}
			return nil, errNotOne
		}
		if s == "" {
			return nil, nil
		}
		if set != nil {
			if i, ok := set[s]; ok {
				return boxed[i], nil
			}
			return nil, errNotOne
		}
		for i, v := range values {
			if v == s {
				return boxed[i], nil
			}
		}
		return nil, errNotOne
	}
}

// convertJSONText reads a string as JSON text and returns it compacted;
// other values (from NDJSON) are encoded.
func convertJSONText(raw any) (any, error) {
	s, ok := raw.(string)
	if !ok {
		return convertJSONValue(raw)
	}
	if s == "" {
		return nil, nil
	}
	if err := checkText(s); err != nil {
		return nil, err
	}
	if !json.Valid([]byte(s)) {
		return nil, errNotJSON
	}
	if strings.ContainsAny(s, " \t\r\n") {
		var buf bytes.Buffer
		buf.Grow(len(s))
		if err := json.Compact(&buf, []byte(s)); err != nil {
			return nil, errNotJSON
		}
		s = buf.String()
	}
	if strings.Contains(s, `\u0000`) {
		return nil, errJSONNULEscape
	}
	if r, ok := raw.(string); ok && len(r) == len(s) {
		return raw, nil // unchanged and already boxed
	}
	return s, nil
}

// convertJSONValue encodes any decoded JSON value as compact JSON text.
func convertJSONValue(raw any) (any, error) {
	switch v := raw.(type) {
	case nil:
		return nil, nil
	case json.Number:
		if !json.Valid([]byte(v)) {
			return nil, errNotJSON
		}
		return string(v), nil
	case bool:
		if v {
			return "true", nil
		}
		return "false", nil
	case string:
		if err := checkText(v); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(raw); err != nil {
		return nil, errNotJSON
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if bytes.Contains(out, []byte(`\u0000`)) {
		return nil, errJSONNULEscape
	}
	return string(out), nil
}

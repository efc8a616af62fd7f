package ingest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

func attr(t datamodel.Type) *datamodel.Attribute { return &datamodel.Attribute{Name: "x", Type: t} }

var (
	attrDecimal = &datamodel.Attribute{Name: "x", Type: datamodel.TypeDecimal, Precision: 6, Scale: 2}
	attrWhole   = &datamodel.Attribute{Name: "x", Type: datamodel.TypeDecimal, Precision: 4, Scale: 0}
	attrEnum    = &datamodel.Attribute{Name: "x", Type: datamodel.TypeEnum, Values: []string{"bronze", "silver", "gold"}}
)

func utc(y int, m time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, m, d, h, mi, s, ns, time.UTC)
}

func TestConvert(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	tests := []struct {
		name    string
		attr    *datamodel.Attribute
		loc     *time.Location
		format  Format
		raw     any
		want    any
		wantErr string
	}{
		// Every type: empty and null are NULL.
		{name: "string empty", attr: attr(datamodel.TypeString), raw: "", want: nil},
		{name: "integer empty", attr: attr(datamodel.TypeInteger), raw: "", want: nil},
		{name: "decimal empty", attr: attrDecimal, raw: "", want: nil},
		{name: "boolean empty", attr: attr(datamodel.TypeBoolean), raw: "", want: nil},
		{name: "date empty", attr: attr(datamodel.TypeDate), raw: "", want: nil},
		{name: "timestamp empty", attr: attr(datamodel.TypeTimestamp), raw: "", want: nil},
		{name: "enum empty", attr: attrEnum, raw: "", want: nil},
		{name: "json empty", attr: attr(datamodel.TypeJSON), raw: "", want: nil},
		{name: "string null", attr: attr(datamodel.TypeString), raw: nil, want: nil},
		{name: "integer null", attr: attr(datamodel.TypeInteger), raw: nil, want: nil},
		{name: "json null", attr: attr(datamodel.TypeJSON), raw: nil, want: nil},

		// string
		{name: "string", attr: attr(datamodel.TypeString), raw: "héllo, world", want: "héllo, world"},
		{name: "string keeps spaces", attr: attr(datamodel.TypeString), raw: " a ", want: " a "},
		{name: "string from number", attr: attr(datamodel.TypeString), raw: json.Number("0042.10"), want: "0042.10"},
		{name: "string bad UTF-8", attr: attr(datamodel.TypeString), raw: "a\xffb", wantErr: "invalid UTF-8"},
		{name: "string NUL", attr: attr(datamodel.TypeString), raw: "a\x00b", wantErr: "NUL"},
		{name: "string NUL after non-ASCII", attr: attr(datamodel.TypeString), raw: "é\x00", wantErr: "NUL"},
		{name: "string from bool", attr: attr(datamodel.TypeString), raw: true, wantErr: "not a string"},
		{name: "string from object", attr: attr(datamodel.TypeString), raw: map[string]any{}, wantErr: "not a string"},

		// integer
		{name: "integer", attr: attr(datamodel.TypeInteger), raw: "-42", want: int64(-42)},
		{name: "integer plus and spaces", attr: attr(datamodel.TypeInteger), raw: " +7 ", want: int64(7)},
		{name: "integer max", attr: attr(datamodel.TypeInteger), raw: "9223372036854775807", want: int64(9223372036854775807)},
		{name: "integer min", attr: attr(datamodel.TypeInteger), raw: "-9223372036854775808", want: int64(-9223372036854775808)},
		{name: "integer overflow", attr: attr(datamodel.TypeInteger), raw: "9223372036854775808", wantErr: "out of range"},
		{name: "integer json", attr: attr(datamodel.TypeInteger), raw: json.Number("1000"), want: int64(1000)},
		{name: "integer json 1.0", attr: attr(datamodel.TypeInteger), raw: json.Number("1.0"), want: int64(1)},
		{name: "integer json 1e3", attr: attr(datamodel.TypeInteger), raw: json.Number("1e3"), want: int64(1000)},
		{name: "integer json fraction", attr: attr(datamodel.TypeInteger), raw: json.Number("1.5"), wantErr: "not an integer"},
		{name: "integer json huge exponent", attr: attr(datamodel.TypeInteger), raw: json.Number("1e999999999"), wantErr: "out of range"},
		{name: "integer word", attr: attr(datamodel.TypeInteger), raw: "twelve", wantErr: "not an integer"},
		{name: "integer underscore", attr: attr(datamodel.TypeInteger), raw: "1_000", wantErr: "not an integer"},
		{name: "integer hex", attr: attr(datamodel.TypeInteger), raw: "0x10", wantErr: "not an integer"},
		{name: "integer bool", attr: attr(datamodel.TypeInteger), raw: true, wantErr: "not an integer"},

		// decimal(6,2)
		{name: "decimal", attr: attrDecimal, raw: "12.5", want: "12.5"},
		{name: "decimal negative fraction", attr: attrDecimal, raw: "-0.25", want: "-0.25"},
		{name: "decimal canonical", attr: attrDecimal, raw: "+0012.500", want: "12.5"},
		{name: "decimal negative zero", attr: attrDecimal, raw: "-0.00", want: "0"},
		{name: "decimal zero", attr: attrDecimal, raw: "0", want: "0"},
		{name: "decimal leading point", attr: attrDecimal, raw: ".5", want: "0.5"},
		{name: "decimal trailing point", attr: attrDecimal, raw: "5.", want: "5"},
		{name: "decimal max", attr: attrDecimal, raw: "9999.99", want: "9999.99"},
		{name: "decimal too large", attr: attrDecimal, raw: "10000", wantErr: "more than 4 digits before the decimal point"},
		{name: "decimal too many places", attr: attrDecimal, raw: "1.125", wantErr: "more than 2 decimal places"},
		{name: "decimal exponent", attr: attrDecimal, raw: json.Number("1.5e2"), want: "150"},
		{name: "decimal negative exponent", attr: attrDecimal, raw: json.Number("-125e-2"), want: "-1.25"},
		{name: "decimal exponent too small", attr: attrDecimal, raw: json.Number("1e-3"), wantErr: "more than 2 decimal places"},
		{name: "decimal zero with exponent", attr: attrDecimal, raw: json.Number("0e999999"), want: "0"},
		{name: "decimal comma", attr: attrDecimal, raw: "1,5", wantErr: "not a decimal"},
		{name: "decimal NaN", attr: attrDecimal, raw: "NaN", wantErr: "not a decimal"},
		{name: "decimal sign only", attr: attrDecimal, raw: "-", wantErr: "not a decimal"},
		{name: "decimal point only", attr: attrDecimal, raw: ".", wantErr: "not a decimal"},
		{name: "decimal bad exponent", attr: attrDecimal, raw: "1e", wantErr: "not a decimal"},
		{name: "decimal scale 0", attr: attrWhole, raw: "12.0", want: "12"},
		{name: "decimal scale 0 fraction", attr: attrWhole, raw: "12.5", wantErr: "no decimal places"},
		{name: "decimal default shape", attr: attr(datamodel.TypeDecimal), raw: "1234567890123456.78", want: "1234567890123456.78"},
		{name: "decimal default shape too large", attr: attr(datamodel.TypeDecimal), raw: "12345678901234567", wantErr: "decimal(18,2)"},

		// boolean
		{name: "boolean true", attr: attr(datamodel.TypeBoolean), raw: "TRUE", want: true},
		{name: "boolean False", attr: attr(datamodel.TypeBoolean), raw: "False", want: false},
		{name: "boolean 1", attr: attr(datamodel.TypeBoolean), raw: "1", want: true},
		{name: "boolean 0", attr: attr(datamodel.TypeBoolean), raw: "0", want: false},
		{name: "boolean yes", attr: attr(datamodel.TypeBoolean), raw: "Yes", want: true},
		{name: "boolean no", attr: attr(datamodel.TypeBoolean), raw: "NO", want: false},
		{name: "boolean t", attr: attr(datamodel.TypeBoolean), raw: "t", want: true},
		{name: "boolean F", attr: attr(datamodel.TypeBoolean), raw: "F", want: false},
		{name: "boolean y", attr: attr(datamodel.TypeBoolean), raw: "y", want: true},
		{name: "boolean n", attr: attr(datamodel.TypeBoolean), raw: "n", want: false},
		{name: "boolean json", attr: attr(datamodel.TypeBoolean), raw: true, want: true},
		{name: "boolean json number", attr: attr(datamodel.TypeBoolean), raw: json.Number("0"), want: false},
		{name: "boolean 2", attr: attr(datamodel.TypeBoolean), raw: "2", wantErr: "not a boolean"},
		{name: "boolean on", attr: attr(datamodel.TypeBoolean), raw: "on", wantErr: "not a boolean"},
		{name: "boolean truthy", attr: attr(datamodel.TypeBoolean), raw: "truee", wantErr: "not a boolean"},

		// date
		{name: "date", attr: attr(datamodel.TypeDate), raw: "2024-03-31", want: utc(2024, 3, 31, 0, 0, 0, 0)},
		{name: "date leap day", attr: attr(datamodel.TypeDate), raw: "2024-02-29", want: utc(2024, 2, 29, 0, 0, 0, 0)},
		{name: "date min", attr: attr(datamodel.TypeDate), raw: "0001-01-01", want: utc(1, 1, 1, 0, 0, 0, 0)},
		{name: "date max", attr: attr(datamodel.TypeDate), raw: "9999-12-31", want: utc(9999, 12, 31, 0, 0, 0, 0)},
		{name: "date year 0", attr: attr(datamodel.TypeDate), raw: "0000-12-31", wantErr: "year"},
		{name: "date not leap", attr: attr(datamodel.TypeDate), raw: "2023-02-29", wantErr: "invalid date, want YYYY-MM-DD"},
		{name: "date 2100 not leap", attr: attr(datamodel.TypeDate), raw: "2100-02-29", wantErr: "invalid date"},
		{name: "date 2000 leap", attr: attr(datamodel.TypeDate), raw: "2000-02-29", want: utc(2000, 2, 29, 0, 0, 0, 0)},
		{name: "date April 31", attr: attr(datamodel.TypeDate), raw: "2024-04-31", wantErr: "invalid date"},
		{name: "date month 13", attr: attr(datamodel.TypeDate), raw: "2024-13-01", wantErr: "invalid date"},
		{name: "date day 0", attr: attr(datamodel.TypeDate), raw: "2024-01-00", wantErr: "invalid date"},
		{name: "date short", attr: attr(datamodel.TypeDate), raw: "2024-3-31", wantErr: "invalid date"},
		{name: "date with time", attr: attr(datamodel.TypeDate), raw: "2024-03-31T00:00:00Z", wantErr: "invalid date"},
		{name: "date five-digit year", attr: attr(datamodel.TypeDate), raw: "10000-01-01", wantErr: "invalid date"},
		{name: "date slashes", attr: attr(datamodel.TypeDate), raw: "2024/03/31", wantErr: "invalid date"},
		{name: "date number", attr: attr(datamodel.TypeDate), raw: json.Number("20240331"), wantErr: "invalid date"},

		// timestamp
		{name: "timestamp Z", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31T09:30:00Z", want: utc(2024, 3, 31, 9, 30, 0, 0)},
		{name: "timestamp offset", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31T09:30:00+02:00", want: utc(2024, 3, 31, 7, 30, 0, 0)},
		{name: "timestamp negative offset", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31T09:30:00-05:30", want: utc(2024, 3, 31, 15, 0, 0, 0)},
		{name: "timestamp fraction", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31T09:30:00.123456789Z", want: utc(2024, 3, 31, 9, 30, 0, 123456789)},
		{name: "timestamp short fraction", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31 09:30:00.5", want: utc(2024, 3, 31, 9, 30, 0, 500000000)},
		{name: "timestamp space UTC", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31 09:30:00", want: utc(2024, 3, 31, 9, 30, 0, 0)},
		{name: "timestamp space in zone", attr: attr(datamodel.TypeTimestamp), loc: paris, raw: "2024-01-15 09:30:00", want: utc(2024, 1, 15, 8, 30, 0, 0)},
		{name: "timestamp T in zone", attr: attr(datamodel.TypeTimestamp), loc: paris, raw: "2024-07-15T09:30:00", want: utc(2024, 7, 15, 7, 30, 0, 0)},
		{name: "timestamp date in zone", attr: attr(datamodel.TypeTimestamp), loc: paris, raw: "2024-07-15", want: utc(2024, 7, 14, 22, 0, 0, 0)},
		{name: "timestamp offset ignores zone", attr: attr(datamodel.TypeTimestamp), loc: paris, raw: "2024-07-15T09:30:00Z", want: utc(2024, 7, 15, 9, 30, 0, 0)},
		{name: "timestamp compact offset", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31 09:30:00+0200", want: utc(2024, 3, 31, 7, 30, 0, 0)},
		{name: "timestamp hour offset", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31 09:30:00+02", want: utc(2024, 3, 31, 7, 30, 0, 0)},
		{name: "timestamp min", attr: attr(datamodel.TypeTimestamp), raw: "0001-01-01T00:00:00Z", want: utc(1, 1, 1, 0, 0, 0, 0)},
		{name: "timestamp max", attr: attr(datamodel.TypeTimestamp), raw: "9999-12-31T23:59:59.999999999Z", want: utc(9999, 12, 31, 23, 59, 59, 999999999)},
		{name: "timestamp before year 1 in UTC", attr: attr(datamodel.TypeTimestamp), raw: "0001-01-01T00:00:00+01:00", wantErr: "year"},
		{name: "timestamp after 9999 in UTC", attr: attr(datamodel.TypeTimestamp), raw: "9999-12-31T23:00:00-02:00", wantErr: "year"},
		{name: "timestamp year 0", attr: attr(datamodel.TypeTimestamp), raw: "0000-06-01T00:00:00Z", wantErr: "year"},
		{name: "timestamp hour 24", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31T24:00:00Z", wantErr: "invalid timestamp"},
		{name: "timestamp second 60", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31T23:59:60Z", wantErr: "invalid timestamp"},
		{name: "timestamp no seconds", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31T09:30Z", wantErr: "invalid timestamp"},
		{name: "timestamp 10 fraction digits", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31T09:30:00.1234567890Z", wantErr: "invalid timestamp"},
		{name: "timestamp empty fraction", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31T09:30:00.Z", wantErr: "invalid timestamp"},
		{name: "timestamp bad offset", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31T09:30:00+2:00", wantErr: "invalid timestamp"},
		{name: "timestamp offset 24h", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31T09:30:00+24:00", wantErr: "invalid timestamp"},
		{name: "timestamp trailing junk", attr: attr(datamodel.TypeTimestamp), raw: "2024-03-31T09:30:00Zx", wantErr: "invalid timestamp"},
		{name: "timestamp bad day", attr: attr(datamodel.TypeTimestamp), raw: "2024-02-30T09:30:00Z", wantErr: "invalid timestamp"},
		{name: "timestamp epoch number", attr: attr(datamodel.TypeTimestamp), raw: json.Number("1711877400"), wantErr: "invalid timestamp"},

		// enum
		{name: "enum", attr: attrEnum, raw: "silver", want: "silver"},
		{name: "enum case matters", attr: attrEnum, raw: "Gold", wantErr: "not one of: bronze, silver, gold"},
		{name: "enum space matters", attr: attrEnum, raw: "gold ", wantErr: "not one of"},
		{name: "enum bool", attr: attrEnum, raw: false, wantErr: "not one of"},

		// json from CSV text
		{name: "json object text", attr: attr(datamodel.TypeJSON), raw: `{ "a" : [1, 2] }`, want: `{"a":[1,2]}`},
		{name: "json compact text kept", attr: attr(datamodel.TypeJSON), raw: `{"a":"x y"}`, want: `{"a":"x y"}`},
		{name: "json scalar text", attr: attr(datamodel.TypeJSON), raw: `42`, want: `42`},
		{name: "json invalid text", attr: attr(datamodel.TypeJSON), raw: `{a:1}`, wantErr: "invalid JSON"},
		{name: "json NUL escape", attr: attr(datamodel.TypeJSON), raw: `"a\u0000"`, wantErr: `\u0000`},
		{name: "json bad UTF-8", attr: attr(datamodel.TypeJSON), raw: "\"\xff\"", wantErr: "invalid UTF-8"},
		// json from NDJSON values
		{name: "json map", attr: attr(datamodel.TypeJSON), format: FormatNDJSON, raw: map[string]any{"b": json.Number("1.50"), "a": "<&>"}, want: `{"a":"<&>","b":1.50}`},
		{name: "json array", attr: attr(datamodel.TypeJSON), format: FormatNDJSON, raw: []any{true, nil, "x"}, want: `[true,null,"x"]`},
		{name: "json string value", attr: attr(datamodel.TypeJSON), format: FormatNDJSON, raw: `{"a":1}`, want: `"{\"a\":1}"`},
		{name: "json number value", attr: attr(datamodel.TypeJSON), format: FormatNDJSON, raw: json.Number("-1e3"), want: `-1e3`},
		{name: "json bool value", attr: attr(datamodel.TypeJSON), format: FormatNDJSON, raw: false, want: `false`},
		{name: "json map via CSV converter", attr: attr(datamodel.TypeJSON), raw: map[string]any{"a": []any{}}, want: `{"a":[]}`},

		{name: "unknown type", attr: attr("money"), raw: "1", wantErr: "unsupported type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			format := tt.format
			if format == "" {
				format = FormatCSV
			}
			got, err := ConverterForFormat(tt.attr, tt.loc, format)(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %#v, %v; want error mentioning %q", got, err, tt.wantErr)
				}
				if got != nil {
					t.Errorf("value %#v returned with error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v, want %#v", err, tt.want)
			}
			if gt, ok := got.(time.Time); ok {
				if gt.Location() != time.UTC {
					t.Errorf("time in %v, want UTC", gt.Location())
				}
				if !gt.Equal(tt.want.(time.Time)) {
					t.Errorf("got %v, want %v", gt, tt.want)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestConverterForEnumManyValues(t *testing.T) {
	var values []string
	for c := 'a'; c <= 'p'; c++ {
		values = append(values, string(c))
	}
	conv := ConverterFor(&datamodel.Attribute{Type: datamodel.TypeEnum, Values: values}, nil)
	if v, err := conv("p"); err != nil || v != "p" {
		t.Errorf("p: %v %v", v, err)
	}
	_, err := conv("z")
	if err == nil || !strings.Contains(err.Error(), "(16 values)") {
		t.Errorf("z: %v", err)
	}
}

func FuzzConvert(f *testing.F) {
	for _, s := range []string{"", "-42", "12.50", "1e3", "-0.0", "true", "Y", "2024-02-29",
		"2024-03-31T09:30:00.5+02:00", "2024-03-31 09:30:00", `{"a": [1, 2]}`, "gold", "\xff", "1e-99999999999"} {
		f.Add(s)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("", 3600)
	}
	attrs := []*datamodel.Attribute{
		attr(datamodel.TypeString), attr(datamodel.TypeInteger), attrDecimal, attrWhole, attr(datamodel.TypeDecimal),
		attr(datamodel.TypeBoolean), attr(datamodel.TypeDate), attr(datamodel.TypeTimestamp), attrEnum, attr(datamodel.TypeJSON),
	}
	var convs []Converter
	for _, a := range attrs {
		convs = append(convs, ConverterFor(a, paris), ConverterForFormat(a, nil, FormatNDJSON))
	}
	tsConv := ConverterFor(attr(datamodel.TypeTimestamp), nil)
	f.Fuzz(func(t *testing.T, s string) {
		if want, err := time.Parse(time.RFC3339Nano, s); err == nil {
			if got, err := tsConv(s); err == nil && !got.(time.Time).Equal(want) {
				t.Fatalf("timestamp %q = %v, time.Parse says %v", s, got, want)
			}
		}
		for _, raw := range []any{s, json.Number(s)} {
			for i, conv := range convs {
				v, err := conv(raw)
				if err != nil {
					if v != nil {
						t.Fatalf("converter %d returned %#v with error %v", i, v, err)
					}
					continue
				}
				switch x := v.(type) {
				case time.Time:
					if x.Location() != time.UTC || x.Year() < 1 || x.Year() > 9999 {
						t.Fatalf("converter %d: time %v out of range or not UTC", i, x)
					}
				case string:
					if attrs[i/2].Type == datamodel.TypeDecimal {
						// The canonical text must convert to itself.
						again, err := conv(x)
						if err != nil || again != x {
							t.Fatalf("decimal %q: canonical %q converts to %#v, %v", s, x, again, err)
						}
					}
				}
			}
		}
	})
}

func BenchmarkConvert(b *testing.B) {
	attrs := []*datamodel.Attribute{
		attr(datamodel.TypeInteger), attr(datamodel.TypeString), attr(datamodel.TypeString), attr(datamodel.TypeDate),
		attrEnum, {Type: datamodel.TypeDecimal, Precision: 12, Scale: 2}, attr(datamodel.TypeTimestamp), attr(datamodel.TypeBoolean),
	}
	convs := make([]Converter, len(attrs))
	for i, a := range attrs {
		convs[i] = ConverterFor(a, nil)
	}
	rows := [][]any{
		{"12345", "user12345@example.com", "FR", "1987-01-15", "gold", "1234.25", "2024-03-31T09:30:00Z", "true"},
		{"-7", "é@example.com", "", "2000-02-29", "silver", "0.5", "2024-03-31 09:30:00.123", "N"},
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		row := rows[n&1]
		for i, conv := range convs {
			if _, err := conv(row[i]); err != nil {
				b.Fatal(err)
			}
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}

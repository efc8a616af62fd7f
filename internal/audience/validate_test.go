package audience

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

const validateModelYAML = `
entities:
  customers:
    key: id
    attributes:
      id: integer
      country: string
      tier: {type: enum, values: [none, silver, gold]}
      birth_date: date
      created_at: timestamp
      score: integer
      balance: decimal(10,2)
      vip: boolean
      prefs: json
  purchases:
    key: purchase_id
    attributes:
      purchase_id: integer
      customer_id: integer
      product_id: string
      amount: decimal(12,2)
      quantity: integer
      purchased_at: timestamp
    links:
      customer: {entity: customers, columns: [customer_id], reverse: purchases}
      product: {entity: products, columns: [product_id], reverse: purchases}
  products:
    key: product_id
    attributes:
      product_id: string
      category: {type: enum, values: [shoes, bags, hats]}
      brand_id: string
    links:
      brand: {entity: brands, columns: [brand_id], reverse: products}
  brands:
    key: brand_id
    attributes:
      brand_id: string
      country: string
  hotels:
    key: hotel_id
    attributes:
      hotel_id: integer
      city: string
      stars: integer
  bookings:
    key: booking_id
    attributes:
      booking_id: integer
      customer_id: integer
      hotel_id: integer
      check_in: date
    links:
      customer: {entity: customers, columns: [customer_id], reverse: bookings}
      hotel: {entity: hotels, columns: [hotel_id], reverse: bookings}
`

// setupValidate returns the test model and a saved-audience lookup.
func setupValidate(t testing.TB) (*datamodel.Model, AudienceInfo) {
	t.Helper()
	m, err := datamodel.Parse([]byte(validateModelYAML))
	if err != nil {
		t.Fatalf("test model: %v", err)
	}
	info := func(name string) (string, bool) {
		switch name {
		case "vip":
			return "customers", true
		case "big_spenders":
			return "customers", true
		case "hot_hotels":
			return "hotels", true
		}
		return "", false
	}
	return m, info
}

func mustJSON(t testing.TB, s string) *Node {
	t.Helper()
	n, err := ParseJSON([]byte(s))
	if err != nil {
		t.Fatalf("ParseJSON(%s): %v", s, err)
	}
	return n
}

func TestValidateAccepts(t *testing.T) {
	m, info := setupValidate(t)
	for _, tc := range []struct {
		name   string
		where  string
		params map[string]any
	}{
		{"everything", `{"and": []}`, nil},
		{"empty node means everything", `{}`, nil},
		{"spec example", `{"and": [
			{"attr": "country", "op": "in", "value": ["FR", "BE"]},
			{"link": "purchases", "where": {"and": [
				{"attr": "purchased_at", "op": "within_last", "value": "90d"},
				{"attr": "product.category", "op": "=", "value": "shoes"}]},
			 "count": {"op": ">=", "value": 2}},
			{"not": {"link": "purchases", "where": {"attr": "purchased_at", "op": "within_last", "value": "30d"}}}]}`, nil},
		{"equality on every type", `{"and": [
			{"attr": "country", "op": "=", "value": "FR"},
			{"attr": "tier", "op": "!=", "value": "gold"},
			{"attr": "birth_date", "op": "=", "value": "1990-02-03"},
			{"attr": "created_at", "op": "=", "value": "2024-03-31T09:30:00Z"},
			{"attr": "score", "op": "=", "value": 3},
			{"attr": "balance", "op": "=", "value": 12.5},
			{"attr": "vip", "op": "=", "value": true}]}`, nil},
		{"ordering", `{"or": [
			{"attr": "score", "op": "<", "value": 3},
			{"attr": "balance", "op": "<=", "value": -1.25},
			{"attr": "birth_date", "op": ">", "value": "2000-01-01"},
			{"attr": "created_at", "op": ">=", "value": "2024-01-01"},
			{"attr": "country", "op": "<", "value": "M"}]}`, nil},
		{"lists", `{"and": [
			{"attr": "tier", "op": "in", "value": ["gold", "silver"]},
			{"attr": "score", "op": "not_in", "value": [1, 2, 3]},
			{"attr": "birth_date", "op": "in", "value": ["2000-01-01"]}]}`, nil},
		{"between", `{"and": [
			{"attr": "score", "op": "between", "value": [1, 1]},
			{"attr": "balance", "op": "between", "value": [-1, 2.5]},
			{"attr": "birth_date", "op": "between", "value": ["1990-01-01", "1999-12-31"]},
			{"attr": "created_at", "op": "between", "value": ["2024-01-01T00:00:00Z", "2024-02-01T00:00:00+01:00"]}]}`, nil},
		{"text ops", `{"and": [
			{"attr": "country", "op": "contains", "value": "R", "case_insensitive": true},
			{"attr": "tier", "op": "starts_with", "value": "go"},
			{"attr": "country", "op": "ends_with", "value": ""}]}`, nil},
		{"null and empty", `{"and": [
			{"attr": "prefs", "op": "is_null"},
			{"attr": "vip", "op": "is_not_null"},
			{"attr": "country", "op": "is_empty"},
			{"attr": "country", "op": "is_not_empty"}]}`, nil},
		{"time", `{"and": [
			{"attr": "birth_date", "op": "before", "value": "2000-01-01"},
			{"attr": "created_at", "op": "after", "value": "2020-01-01T00:00:00Z"},
			{"attr": "created_at", "op": "within_next", "value": "2h"},
			{"attr": "birth_date", "op": "within_last", "value": "3mo"},
			{"attr": "created_at", "op": "day_of_week", "value": ["sat", "SUN"]},
			{"attr": "birth_date", "op": "anniversary_within", "value": 366}]}`, nil},
		{"aggregates", `{"and": [
			{"link": "purchases", "aggregate": {"fn": "sum", "attr": "amount", "op": ">", "value": 500}},
			{"link": "purchases", "aggregate": {"fn": "avg", "attr": "quantity", "op": ">", "value": 1.5}},
			{"link": "purchases", "aggregate": {"fn": "max", "attr": "purchased_at", "op": "<", "value": "2024-01-01T00:00:00Z"}},
			{"link": "purchases", "where": {"attr": "product.brand.country", "op": "=", "value": "IT"},
			 "aggregate": {"fn": "min", "attr": "quantity", "op": ">=", "value": 2}}]}`, nil},
		{"second chain", `{"link": "bookings", "where": {"and": [
			{"attr": "hotel.stars", "op": ">=", "value": 4},
			{"attr": "check_in", "op": "within_next", "value": "2w"}]}}`, nil},
		{"saved audience", `{"and": [{"audience": "vip"}, {"not": {"audience": "big_spenders"}}]}`, nil},
		{"params", `{"and": [
			{"attr": "country", "op": "in", "value": {"param": "countries"}},
			{"attr": "score", "op": "between", "value": [{"param": "lo"}, 10]},
			{"link": "purchases", "count": {"op": ">=", "value": {"param": "n"}}}]}`,
			map[string]any{"countries": []any{"FR"}, "lo": json.Number("2"), "n": 3.0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &Query{Dimension: "customers", Where: mustJSON(t, tc.where), Params: tc.params, TimeZone: "Europe/Paris"}
			if err := Validate(m, q, info); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

func TestValidateProblems(t *testing.T) {
	m, info := setupValidate(t)
	for _, tc := range []struct {
		name      string
		dimension string
		where     string
		params    map[string]any
		tz        string
		path      string
		message   string
	}{
		{name: "unknown dimension", dimension: "people", where: `{"and": []}`, path: "dimension", message: `unknown entity "people"`},
		{name: "no dimension", dimension: "-", where: `{"and": []}`, path: "dimension", message: "names no dimension"},
		{name: "no where", where: ``, path: "where", message: "no condition"},
		{name: "bad time zone", where: `{"and": []}`, tz: "Mars/Olympus", path: "timezone", message: "unknown time zone"},
		{name: "local time zone", where: `{"and": []}`, tz: "Local", path: "timezone", message: "IANA"},
		{name: "unknown attribute", where: `{"and": [{"attr": "country", "op": "is_null"}, {"attr": "nope", "op": "is_null"}]}`,
			path: "where.and[1]", message: `customers has no attribute "nope"`},
		{name: "unknown attribute in link", where: `{"and": [{"and": []}, {"link": "purchases", "where": {"and": [{"attr": "colour", "op": "is_null"}]}}]}`,
			path: "where.and[1].where.and[0]", message: `purchases has no attribute "colour"`},
		{name: "link as attribute", where: `{"attr": "purchases", "op": "is_null"}`, path: "where", message: "is a link"},
		{name: "one-to-many in attribute path", where: `{"attr": "purchases.amount", "op": "is_null"}`, path: "where", message: "one-to-many"},
		{name: "deep attribute path", where: `{"link": "purchases", "where": {"attr": "product.brand.colour", "op": "is_null"}}`,
			path: "where.where", message: `brands has no attribute "colour"`},
		{name: "unknown link", where: `{"link": "orders"}`, path: "where", message: `customers has no link "orders"`},
		{name: "many-to-one as link", where: `{"link": "purchases", "where": {"link": "customer"}}`, path: "where.where", message: "reaches one customers"},
		{name: "no form", where: `{"and": [{"op": "="}]}`, path: "where.and[0]", message: "names no attribute"},
		{name: "two forms", where: `{"and": [{"attr": "x"}], "link": "purchases"}`, path: "where", message: "this one has and, link"},
		{name: "op on an and node", where: `{"and": [], "value": 3}`, path: "where", message: "unexpected value on an and node"},
		{name: "where without link", where: `{"attr": "country", "op": "is_null", "where": {"and": []}}`, path: "where", message: "where, count and aggregate go with link"},
		{name: "count and aggregate", where: `{"link": "purchases", "count": {"op": ">", "value": 1}, "aggregate": {"fn": "sum", "attr": "amount", "op": ">", "value": 1}}`,
			path: "where", message: "cannot both be set"},
		{name: "null child", where: `{"or": [{"attr": "vip", "op": "is_null"}, null]}`, path: "where.or[1]", message: "missing"},
		{name: "null inside not", where: `{"and": [{"not": {"or": [null]}}]}`, path: "where.and[0].not.or[0]", message: "missing"},
		{name: "empty or", where: `{"or": []}`, path: "where", message: "empty \"or\""},
		{name: "unknown operator", where: `{"attr": "country", "op": "like", "value": "x"}`, path: "where", message: `unknown operator "like"`},
		{name: "missing op", where: `{"attr": "country"}`, path: "where", message: "no op"},
		{name: "operator on json", where: `{"attr": "prefs", "op": "=", "value": "x"}`, path: "where", message: "does not apply to prefs (json)"},
		{name: "ordering on enum", where: `{"attr": "tier", "op": "<", "value": "gold"}`, path: "where", message: "does not apply to tier (enum)"},
		{name: "in on timestamp", where: `{"attr": "created_at", "op": "in", "value": ["2024-01-01"]}`, path: "where", message: "does not apply"},
		{name: "contains on integer", where: `{"attr": "score", "op": "contains", "value": "1"}`, path: "where", message: "does not apply"},
		{name: "is_empty on enum", where: `{"attr": "tier", "op": "is_empty"}`, path: "where", message: "does not apply"},
		{name: "within on string", where: `{"attr": "country", "op": "within_last", "value": "1d"}`, path: "where", message: "does not apply"},
		{name: "anniversary on timestamp", where: `{"attr": "created_at", "op": "anniversary_within", "value": 7}`, path: "where", message: "does not apply"},
		{name: "wrong value type", where: `{"attr": "score", "op": "=", "value": "three"}`, path: "where", message: "want an integer"},
		{name: "integer with fraction", where: `{"attr": "score", "op": ">", "value": 2.5}`, path: "where", message: "want an integer"},
		{name: "enum value", where: `{"attr": "tier", "op": "=", "value": "bronze"}`, path: "where", message: `"bronze" is not one of none, silver, gold`},
		{name: "bad date", where: `{"attr": "birth_date", "op": "=", "value": "31/12/2000"}`, path: "where", message: "want a date"},
		{name: "year zero", where: `{"attr": "birth_date", "op": "=", "value": "0000-01-01"}`, path: "where", message: "out of range"},
		{name: "bad timestamp", where: `{"attr": "created_at", "op": "after", "value": "yesterday"}`, path: "where", message: "want a timestamp"},
		{name: "boolean", where: `{"attr": "vip", "op": "=", "value": "yes"}`, path: "where", message: "want true or false"},
		{name: "null value", where: `{"attr": "country", "op": "=", "value": null}`, path: "where", message: "use is_null"},
		{name: "missing value", where: `{"attr": "score", "op": ">"}`, path: "where", message: "value is missing"},
		{name: "object value", where: `{"attr": "country", "op": "=", "value": {"x": 1}}`, path: "where", message: "an object"},
		{name: "value on is_null", where: `{"attr": "country", "op": "is_null", "value": "x"}`, path: "where", message: "takes no value"},
		{name: "in wants a list", where: `{"attr": "country", "op": "in", "value": "FR"}`, path: "where", message: "want a list"},
		{name: "in empty list", where: `{"attr": "country", "op": "in", "value": []}`, path: "where", message: "list is empty"},
		{name: "in element", where: `{"attr": "score", "op": "in", "value": [1, "x"]}`, path: "where", message: "value 2: want an integer"},
		{name: "in null element", where: `{"attr": "score", "op": "in", "value": [1, null]}`, path: "where", message: "value 2: null"},
		{name: "in too long", where: `{"attr": "score", "op": "in", "value": [` + strings.Repeat("1,", MaxInValues) + `1]}`, path: "where", message: "at most 10000"},
		{name: "between shape", where: `{"attr": "score", "op": "between", "value": [1]}`, path: "where", message: "want two values"},
		{name: "between order", where: `{"attr": "birth_date", "op": "between", "value": ["2001-01-01", "2000-01-01"]}`, path: "where", message: "low end is greater"},
		{name: "between decimal order", where: `{"attr": "balance", "op": "between", "value": [2.5, 2.25]}`, path: "where", message: "low end is greater"},
		{name: "between element", where: `{"attr": "score", "op": "between", "value": [1, "x"]}`, path: "where", message: "high end: want an integer"},
		{name: "contains wants a string", where: `{"attr": "country", "op": "contains", "value": 3}`, path: "where", message: "want a string"},
		{name: "duration", where: `{"attr": "created_at", "op": "within_last", "value": "90 days"}`, path: "where", message: "unit must be one of"},
		{name: "duration type", where: `{"attr": "created_at", "op": "within_last", "value": 90}`, path: "where", message: "want a duration"},
		{name: "weekday", where: `{"attr": "created_at", "op": "day_of_week", "value": ["sat", "funday"]}`, path: "where", message: `day "funday"`},
		{name: "weekday list", where: `{"attr": "created_at", "op": "day_of_week", "value": "sat"}`, path: "where", message: "want a list of days"},
		{name: "anniversary range", where: `{"attr": "birth_date", "op": "anniversary_within", "value": 367}`, path: "where", message: "out of range"},
		{name: "anniversary type", where: `{"attr": "birth_date", "op": "anniversary_within", "value": "7d"}`, path: "where", message: "number of days"},
		{name: "case_insensitive on =", where: `{"attr": "country", "op": "=", "value": "FR", "case_insensitive": true}`, path: "where", message: "case_insensitive applies only"},
		{name: "count op", where: `{"link": "purchases", "count": {"op": "between", "value": 1}}`, path: "where.count", message: `unknown comparison "between"`},
		{name: "count negative", where: `{"link": "purchases", "count": {"op": ">", "value": -1}}`, path: "where.count", message: "0 or more"},
		{name: "count fraction", where: `{"link": "purchases", "count": {"op": ">", "value": 1.5}}`, path: "where.count", message: "whole number"},
		{name: "aggregate fn", where: `{"link": "purchases", "aggregate": {"fn": "median", "attr": "amount", "op": ">", "value": 1}}`, path: "where.aggregate", message: `unknown aggregate function "median"`},
		{name: "aggregate count", where: `{"link": "purchases", "aggregate": {"fn": "count", "attr": "amount", "op": ">", "value": 1}}`, path: "where.aggregate", message: "not as an aggregate"},
		{name: "aggregate type", where: `{"link": "purchases", "aggregate": {"fn": "sum", "attr": "purchased_at", "op": ">", "value": 1}}`, path: "where.aggregate", message: "sum does not apply to purchased_at (timestamp)"},
		{name: "aggregate min type", where: `{"link": "purchases", "aggregate": {"fn": "min", "attr": "product_id", "op": ">", "value": "a"}}`, path: "where.aggregate", message: "min does not apply"},
		{name: "aggregate path", where: `{"link": "purchases", "aggregate": {"fn": "max", "attr": "product.brand_id", "op": ">", "value": "a"}}`, path: "where.aggregate", message: "of purchases itself"},
		{name: "aggregate attribute", where: `{"link": "purchases", "aggregate": {"fn": "max", "attr": "price", "op": ">", "value": 1}}`, path: "where.aggregate", message: `purchases has no attribute "price"`},
		{name: "aggregate value", where: `{"link": "purchases", "aggregate": {"fn": "sum", "attr": "quantity", "op": ">", "value": 1.5}}`, path: "where.aggregate", message: "want an integer"},
		{name: "aggregate op", where: `{"link": "purchases", "aggregate": {"fn": "sum", "attr": "quantity", "op": "in", "value": 1}}`, path: "where.aggregate", message: `unknown comparison "in"`},
		{name: "unknown audience", where: `{"audience": "nobody"}`, path: "where", message: `unknown audience "nobody"`},
		{name: "audience of another dimension", where: `{"audience": "hot_hotels"}`, path: "where", message: "selects hotels, not customers"},
		{name: "audience inside a link", where: `{"link": "bookings", "where": {"audience": "vip"}}`, path: "where.where", message: "applies to customers rows, not bookings"},
		{name: "missing param", where: `{"attr": "country", "op": "=", "value": {"param": "c"}}`, path: "where", message: `parameter "c" is not given`},
		{name: "param value type", where: `{"attr": "score", "op": "=", "value": {"param": "s"}}`, params: map[string]any{"s": "high"}, path: "where", message: "want an integer"},
		{name: "param list element", where: `{"attr": "score", "op": "in", "value": [{"param": "s"}]}`, params: map[string]any{"s": true}, path: "where", message: "value 1: want an integer"},
		{name: "param in count", where: `{"link": "purchases", "count": {"op": ">", "value": {"param": "n"}}}`, path: "where.count", message: `parameter "n" is not given`},
		{name: "too deep", where: strings.Repeat(`{"not": `, MaxDepth) + `{"and": []}` + strings.Repeat(`}`, MaxDepth), path: "where" + strings.Repeat(".not", MaxDepth), message: "deeper than 32"},
		{name: "too many nodes", where: `{"and": [` + strings.Repeat(`{"and": []},`, MaxNodes) + `{"and": []}]}`, path: "where.and[1999]", message: "more than 2000 nodes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &Query{Dimension: "customers", Params: tc.params, TimeZone: tc.tz}
			switch tc.dimension {
			case "-":
				q.Dimension = ""
			case "":
			default:
				q.Dimension = tc.dimension
			}
			if tc.where != "" {
				q.Where = mustJSON(t, tc.where)
			}
			err := Validate(m, q, info)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			for _, p := range ve.Problems {
				if p.Path == tc.path && strings.Contains(p.Message, tc.message) {
					return
				}
			}
			t.Fatalf("no problem at %s containing %q in %v", tc.path, tc.message, ve.Problems)
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	m, info := setupValidate(t)
	q := &Query{Dimension: "customers", TimeZone: "Nowhere/Land", Where: mustJSON(t, `{"and": [
		{"attr": "nope", "op": "is_null"},
		{"link": "purchases", "where": {"and": [{"attr": "amount", "op": "=", "value": "x"}, {"attr": "colour", "op": "is_null"}]}},
		{"audience": "nobody"}]}`)}
	err := Validate(m, q, info)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v", err)
	}
	var paths []string
	for _, p := range ve.Problems {
		paths = append(paths, p.Path)
	}
	want := "timezone where.and[0] where.and[1].where.and[0] where.and[1].where.and[1] where.and[2]"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("paths = %s\nwant %s", got, want)
	}
	msg := err.Error()
	for _, s := range []string{`where.and[1].where.and[1]: attribute "colour": purchases has no attribute "colour"`, "timezone: unknown time zone"} {
		if !strings.Contains(msg, s) {
			t.Errorf("Error() = %s\nlacks %s", msg, s)
		}
	}
}

func TestValidateLimitsReportOnce(t *testing.T) {
	m, info := setupValidate(t)
	deep := strings.Repeat(`{"not": `, 200) + `{"and": []}` + strings.Repeat(`}`, 200)
	wide := `{"or": [` + strings.Repeat(`{"attr": "nope", "op": "is_null"},`, 3*MaxNodes) + `{"and": []}]}`
	for _, tc := range []struct{ name, where string }{{"deep", deep}, {"wide", wide}} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(m, &Query{Dimension: "customers", Where: mustJSON(t, tc.where)}, info)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v", err)
			}
			limit := 0
			for _, p := range ve.Problems {
				if strings.Contains(p.Message, "deeper than") || strings.Contains(p.Message, "more than") {
					limit++
				}
			}
			if limit != 1 {
				t.Errorf("%d limit problems, want 1", limit)
			}
			if len(ve.Problems) > MaxNodes+1 {
				t.Errorf("%d problems: validation did not stop", len(ve.Problems))
			}
		})
	}
}

func TestValidateNilInputs(t *testing.T) {
	m, info := setupValidate(t)
	for _, tc := range []struct {
		name string
		m    *datamodel.Model
		q    *Query
	}{
		{"nil query", m, nil},
		{"nil model", nil, &Query{Dimension: "customers", Where: &Node{}}},
		{"nil children", m, &Query{Dimension: "customers", Where: &Node{And: []*Node{nil, {Not: &Node{Or: []*Node{nil}}}}}}},
		{"nil audiences", m, &Query{Dimension: "customers", Where: &Node{Audience: "vip"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := info
			if tc.name == "nil audiences" {
				a = nil
			}
			if err := Validate(tc.m, tc.q, a); err == nil {
				t.Fatal("Validate accepted it")
			}
		})
	}
}

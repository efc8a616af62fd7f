package audience

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseJSON(t *testing.T) {
	n := mustJSON(t, `{"and": [
		{"attr": "score", "op": "in", "value": [1, 2.50, {"param": "p"}, [{"param": "q"}]]},
		{"link": "purchases", "count": {"op": ">", "value": {"param": "n"}}},
		{"link": "purchases", "aggregate": {"fn": "sum", "attr": "amount", "op": ">", "value": {"param": "s"}}},
		{"not": {"attr": "x", "op": "=", "value": {"param": "v"}}}]}`)
	want := &Node{And: []*Node{
		{Attr: "score", Op: OpIn, Value: []any{json.Number("1"), json.Number("2.50"), Param{"p"}, []any{Param{"q"}}}},
		{Link: "purchases", Count: &Compare{Op: OpGt, Value: Param{"n"}}},
		{Link: "purchases", Aggregate: &Aggregate{Fn: FnSum, Attr: "amount", Op: OpGt, Value: Param{"s"}}},
		{Not: &Node{Attr: "x", Op: OpEq, Value: Param{"v"}}},
	}}
	if !reflect.DeepEqual(n, want) {
		t.Fatalf("ParseJSON = %s\nwant %s", jsonOf(n), jsonOf(want))
	}
}

func TestParseJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		pos        int
		msg        string
	}{
		{"empty", ``, 0, "empty"},
		{"null", `null`, 0, "got null"},
		{"syntax", `{"and": [}`, 9, "invalid JSON"},
		{"truncated", `{"and": [`, 9, "ends too early"},
		{"trailing data", `{"and": []} {"or": []}`, 12, "unexpected data after the query"},
		{"trailing garbage", `{"and": []} x`, 12, "unexpected data after the query"},
		{"unknown field", "{\"and\": [],\n \"colour\": 1}", 13, `unknown field "colour"`},
		{"wrong type", `{"attr": 3}`, 10, "attr: a string cannot hold a JSON number"},
		{"children not a list", `{"and": {"attr": "x"}}`, 9, "and: a list of nodes"},
		{"bad param", `{"attr": "x", "op": "=", "value": {"param": 3}}`, 0, `value: a parameter is written {"param": "name"}`},
		{"param with extras", `{"and": [{"attr": "x", "op": "in", "value": [{"param": "a", "b": 1}]}]}`, 0, `and[0].value[0]: a parameter`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseJSON([]byte(tc.json))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseJSON = %v, want a *SyntaxError", err)
			}
			if se.Pos != tc.pos || !strings.Contains(se.Error(), tc.msg) {
				t.Fatalf("ParseJSON = %q at %d, want %q at %d", se.Error(), se.Pos, tc.msg, tc.pos)
			}
		})
	}
}

func TestParseQueryJSON(t *testing.T) {
	q, err := ParseQueryJSON([]byte(`{"dimension": "customers", "where": {"attr": "score", "op": ">", "value": {"param": "n"}},
		"params": {"n": 3, "l": [{"param": "x"}]}, "timezone": "Europe/Paris", "now": "2024-03-31T10:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if q.Where.Value != (Param{"n"}) || q.Params["n"] != json.Number("3") || q.TimeZone != "Europe/Paris" || q.Now.IsZero() {
		t.Errorf("ParseQueryJSON = %+v", q)
	}
	if _, err := ParseQueryJSON([]byte(`{"dimension": "c", "where": {"and": []}, "params": {"n": {"param": "m"}}}`)); err == nil {
		t.Error("a parameter whose value is a parameter was accepted")
	}
	if _, err := ParseQueryJSON([]byte(`{"dimension": "c", "limit": 3}`)); err == nil {
		t.Error("an unknown field was accepted")
	}
}

func FuzzParseText(f *testing.F) {
	for _, s := range []string{
		`country in ("FR", "BE") and count(purchases where purchased_at within last 90d and product.category = "shoes") >= 2 and not exists(purchases where purchased_at within last 30d)`,
		`all`, `any()`, `all(a = 1, b = 2)`, `not (a = 1 or b = 2) and c = 3`,
		`x between 1 and 2 and y between $r and z = 1`, `x between (1, 2, 3)`,
		`t day of week in (sat, "x", $d)`, `d anniversary within 7d`, `t within last 15min`,
		`sum(p.amount where a.b = "x") > -1.5e3`, `in audience "vip"`, "`in`.`a b` = $`c d`",
		`x = "\" \\ \n \t \u0001"`, `x icontains "a" or y iends with "b"`, `x is not empty`,
		`x = "'; DROP TABLE x; --"`, `x = 007`, `x ! 1`, "x = \"\xff\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseText(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			return
		}
		checkRoundTrip(t, n)
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"and": []}`, `{}`, `null`, `[]`, `{"or": [null]}`,
		`{"and": [{"attr": "country", "op": "in", "value": ["FR", "BE"]}, {"not": {"audience": "vip"}}]}`,
		`{"link": "purchases", "where": {"attr": "product.brand.country", "op": "=", "value": "IT"}, "count": {"op": ">=", "value": 2}}`,
		`{"link": "purchases", "aggregate": {"fn": "avg", "attr": "quantity", "op": ">", "value": 1.5}}`,
		`{"attr": "score", "op": "between", "value": [{"param": "lo"}, 10]}`,
		`{"attr": "created_at", "op": "day_of_week", "value": ["sat", "sun"]}`,
		`{"attr": "birth_date", "op": "anniversary_within", "value": 7}`,
		`{"attr": "country", "op": "=", "value": "'; DROP TABLE x; --"}`,
		`{"attr": "x", "op": "=", "value": {"param": 1}}`, `{"and": []} x`,
	} {
		f.Add([]byte(s))
	}
	m, info := setupValidate(f)
	params := map[string]any{"lo": json.Number("1")}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseJSON(data)
		if err != nil {
			return
		}
		q := &Query{Dimension: "customers", Where: n, Params: params}
		if Validate(m, q, info) != nil || isEmptyForm(n) {
			return
		}
		// Valid trees from JSON print as text that reads back the same.
		checkRoundTrip(t, n)
	})
}

// isEmptyForm reports whether a tree holds a node with no form set ({}),
// which Validate reads as everything but prints as all, that is {"and": []}.
func isEmptyForm(n *Node) bool {
	if n == nil {
		return false
	}
	if reflect.DeepEqual(*n, Node{}) {
		return true
	}
	for _, c := range append(append([]*Node{n.Not, n.Where}, n.And...), n.Or...) {
		if isEmptyForm(c) {
			return true
		}
	}
	return false
}

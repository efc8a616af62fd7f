package audience

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// mustText parses a query text or fails the test.
func mustText(t testing.TB, s string) *Node {
	t.Helper()
	n, err := ParseText(s)
	if err != nil {
		t.Fatalf("ParseText(%q): %v", s, err)
	}
	return n
}

// jsonOf prints a tree for failure messages.
func jsonOf(n *Node) string {
	b, err := json.Marshal(n)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// checkRoundTrip asserts that the text printed for n parses back to n.
func checkRoundTrip(t testing.TB, n *Node) string {
	t.Helper()
	text := FormatText(n)
	back, err := ParseText(text)
	if err != nil {
		t.Fatalf("ParseText(FormatText(%s)) = %v\ntext: %s", jsonOf(n), err, text)
	}
	if !reflect.DeepEqual(n, back) {
		t.Fatalf("round trip differs\ntext: %s\nwant: %s\ngot:  %s", text, jsonOf(n), jsonOf(back))
	}
	return text
}

func TestParseText(t *testing.T) {
	for _, tc := range []struct {
		name, text, json string
	}{
		{"spec example",
			`country in ("FR", "BE")
and count(purchases where purchased_at within last 90d and product.category = "shoes") >= 2
and not exists(purchases where purchased_at within last 30d)`,
			`{"and": [
  {"attr": "country", "op": "in", "value": ["FR", "BE"]},
  {"link": "purchases",
   "where": {"and": [
     {"attr": "purchased_at", "op": "within_last", "value": "90d"},
     {"attr": "product.category", "op": "=", "value": "shoes"}]},
   "count": {"op": ">=", "value": 2}},
  {"not": {"link": "purchases", "where": {"attr": "purchased_at", "op": "within_last", "value": "30d"}}}]}`},
		{"equal", `country = "FR"`, `{"attr": "country", "op": "=", "value": "FR"}`},
		{"not equal", `score != -3`, `{"attr": "score", "op": "!=", "value": -3}`},
		{"less", `score < 1.5e3`, `{"attr": "score", "op": "<", "value": 1.5e3}`},
		{"less or equal", `score <= 0`, `{"attr": "score", "op": "<=", "value": 0}`},
		{"greater", `birth_date > "2000-01-01"`, `{"attr": "birth_date", "op": ">", "value": "2000-01-01"}`},
		{"greater or equal", `created_at >= "2024-03-31T09:30:00Z"`, `{"attr": "created_at", "op": ">=", "value": "2024-03-31T09:30:00Z"}`},
		{"in", `tier in ("gold", "silver")`, `{"attr": "tier", "op": "in", "value": ["gold", "silver"]}`},
		{"not in", `tier not in ("gold")`, `{"attr": "tier", "op": "not_in", "value": ["gold"]}`},
		{"in param", `country in $countries`, `{"attr": "country", "op": "in", "value": {"param": "countries"}}`},
		{"between", `score between 1 and 10`, `{"attr": "score", "op": "between", "value": [1, 10]}`},
		{"between then and", `score between 1 and 10 and vip = true`,
			`{"and": [{"attr": "score", "op": "between", "value": [1, 10]}, {"attr": "vip", "op": "=", "value": true}]}`},
		{"between params", `score between $lo and $hi`, `{"attr": "score", "op": "between", "value": [{"param": "lo"}, {"param": "hi"}]}`},
		{"between one param", `score between $r and vip = true`,
			`{"and": [{"attr": "score", "op": "between", "value": {"param": "r"}}, {"attr": "vip", "op": "=", "value": true}]}`},
		{"contains", `country contains "an"`, `{"attr": "country", "op": "contains", "value": "an"}`},
		{"icontains", `country icontains "AN"`, `{"attr": "country", "op": "contains", "value": "AN", "case_insensitive": true}`},
		{"starts with", `country starts with "F"`, `{"attr": "country", "op": "starts_with", "value": "F"}`},
		{"istarts with", `country ISTARTS WITH "f"`, `{"attr": "country", "op": "starts_with", "value": "f", "case_insensitive": true}`},
		{"ends with", `country ends with "R"`, `{"attr": "country", "op": "ends_with", "value": "R"}`},
		{"iends with", `country iends with "r"`, `{"attr": "country", "op": "ends_with", "value": "r", "case_insensitive": true}`},
		{"is null", `prefs is null`, `{"attr": "prefs", "op": "is_null"}`},
		{"is not null", `prefs is not null`, `{"attr": "prefs", "op": "is_not_null"}`},
		{"is empty", `country is empty`, `{"attr": "country", "op": "is_empty"}`},
		{"is not empty", `country Is Not Empty`, `{"attr": "country", "op": "is_not_empty"}`},
		{"before", `birth_date before "2000-01-01"`, `{"attr": "birth_date", "op": "before", "value": "2000-01-01"}`},
		{"after", `created_at AFTER "2020-01-01T00:00:00Z"`, `{"attr": "created_at", "op": "after", "value": "2020-01-01T00:00:00Z"}`},
		{"within last", `created_at within last 90d`, `{"attr": "created_at", "op": "within_last", "value": "90d"}`},
		{"within next", `created_at within next 15min`, `{"attr": "created_at", "op": "within_next", "value": "15min"}`},
		{"within quoted", `created_at within last "3mo"`, `{"attr": "created_at", "op": "within_last", "value": "3mo"}`},
		{"day of week", `created_at day of week in (sat, sun)`, `{"attr": "created_at", "op": "day_of_week", "value": ["sat", "sun"]}`},
		{"anniversary", `birth_date anniversary within 7d`, `{"attr": "birth_date", "op": "anniversary_within", "value": 7}`},
		{"anniversary number", `birth_date anniversary within 7`, `{"attr": "birth_date", "op": "anniversary_within", "value": 7}`},
		{"booleans and null", `vip = TRUE or vip = false or vip = null`,
			`{"or": [{"attr": "vip", "op": "=", "value": true}, {"attr": "vip", "op": "=", "value": false}, {"attr": "vip", "op": "=", "value": null}]}`},
		{"all", `all`, `{"and": []}`},
		{"all call", `all(vip = true)`, `{"and": [{"attr": "vip", "op": "=", "value": true}]}`},
		{"any call", `any(vip = true, all)`, `{"or": [{"attr": "vip", "op": "=", "value": true}, {"and": []}]}`},
		{"audience", `in audience "vip"`, `{"audience": "vip"}`},
		{"exists", `exists(purchases)`, `{"link": "purchases"}`},
		{"exists where", `EXISTS(purchases WHERE amount > 1)`, `{"link": "purchases", "where": {"attr": "amount", "op": ">", "value": 1}}`},
		{"count", `count(purchases) = 0`, `{"link": "purchases", "count": {"op": "=", "value": 0}}`},
		{"sum", `sum(purchases.amount where product.brand.country = "IT") > 500`,
			`{"link": "purchases", "where": {"attr": "product.brand.country", "op": "=", "value": "IT"}, "aggregate": {"fn": "sum", "attr": "amount", "op": ">", "value": 500}}`},
		{"avg min max", `Avg(a.b.c) != 1 and min(x.y) < 2 and max(x.y) >= $m`,
			`{"and": [
			  {"link": "a.b", "aggregate": {"fn": "avg", "attr": "c", "op": "!=", "value": 1}},
			  {"link": "x", "aggregate": {"fn": "min", "attr": "y", "op": "<", "value": 2}},
			  {"link": "x", "aggregate": {"fn": "max", "attr": "y", "op": ">=", "value": {"param": "m"}}}]}`},
		{"and binds tighter than or", `a = 1 or b = 2 and c = 3`,
			`{"or": [{"attr": "a", "op": "=", "value": 1}, {"and": [{"attr": "b", "op": "=", "value": 2}, {"attr": "c", "op": "=", "value": 3}]}]}`},
		{"not binds tighter than and", `not a = 1 and b = 2`,
			`{"and": [{"not": {"attr": "a", "op": "=", "value": 1}}, {"attr": "b", "op": "=", "value": 2}]}`},
		{"parentheses group", `not (a = 1 or b = 2) and c = 3`,
			`{"and": [{"not": {"or": [{"attr": "a", "op": "=", "value": 1}, {"attr": "b", "op": "=", "value": 2}]}}, {"attr": "c", "op": "=", "value": 3}]}`},
		{"where extends to the parenthesis", `exists(p where a = 1 or b = 2) and c = 3`,
			`{"and": [{"link": "p", "where": {"or": [{"attr": "a", "op": "=", "value": 1}, {"attr": "b", "op": "=", "value": 2}]}}, {"attr": "c", "op": "=", "value": 3}]}`},
		{"escapes", `x = "a\"b\\c\nd\te\u00e9"`, `{"attr": "x", "op": "=", "value": "a\"b\\c\nd\te\u00e9"}`},
		{"quoted names", "`in`.`a b` = 1", `{"attr": "in.a b", "op": "=", "value": 1}`},
		{"soft keywords as names", `count = 1 and sum.x = 2`,
			`{"and": [{"attr": "count", "op": "=", "value": 1}, {"attr": "sum.x", "op": "=", "value": 2}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustText(t, tc.text)
			want := mustJSON(t, tc.json)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("ParseText(%q)\n got  %s\n want %s", tc.text, jsonOf(got), jsonOf(want))
			}
			checkRoundTrip(t, got)
		})
	}
}

func TestParseTextErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line, col  int
		msg        string
	}{
		{"empty", "  ", 1, 3, "the query is empty"},
		{"missing value", `country in`, 1, 11, `expected a value after "in", found end of the query`},
		{"missing value mid-line", `x = 1 and country in and y = 2`, 1, 22, `expected a value after "in"`},
		{"unquoted string", `country = FR`, 1, 11, `strings take double quotes`},
		{"single quotes", `country = 'FR'`, 1, 11, `strings take double quotes`},
		{"second line", "country = \"FR\"\nand tier ~ 3", 2, 10, `unexpected character '~'`},
		{"column counts characters", `x = "é" and é`, 1, 13, `unexpected character 'é'`},
		{"unknown operator", `country like "F%"`, 1, 9, `expected an operator`},
		{"unterminated string", `country = "FR`, 1, 11, "unterminated string"},
		{"newline in string", "country = \"F\nR\"", 1, 11, "unterminated string"},
		{"unknown escape", `x = "a\qb"`, 1, 7, `unknown escape \q`},
		{"bad unicode escape", `x = "\u12"`, 1, 6, `four hex digits`},
		{"missing close paren", `(a = 1 or b = 2`, 1, 16, `expected ")" to close the "(" at line 1, column 1`},
		{"trailing input", `a = 1 b = 2`, 1, 7, `missing "and" or "or"`},
		{"dangling and", `a = 1 and`, 1, 10, `expected a condition after "and"`},
		{"keyword as name", `in = 1`, 1, 4, `expected "audience"`},
		{"and as name", `and = 1`, 1, 1, `expected a condition`},
		{"is what", `x is nothing`, 1, 6, `expected "null" or "empty"`},
		{"within what", `x within 3d`, 1, 10, `expected "last" or "next"`},
		{"duration word", `x within last ninety`, 1, 15, `expected a value such as 90d`},
		{"anniversary unit", `x anniversary within 2w`, 1, 22, `number of days such as 7d`},
		{"starts without with", `x starts "a"`, 1, 10, `expected "with"`},
		{"day of week", `x day of month in (mon)`, 1, 10, `expected "week"`},
		{"count needs a comparison", `count(purchases) in (1)`, 1, 18, `expected a comparison`},
		{"count needs a value", `count(purchases) >`, 1, 19, `expected a value after ">"`},
		{"aggregate needs an attribute", `sum(purchases) > 1`, 1, 5, `such as purchases.amount`},
		{"exists needs a link", `exists() `, 1, 8, `expected a name after "("`},
		{"exists unclosed", `exists(purchases where a = 1`, 1, 29, `expected ")" or "where" in exists( at line 1, column 7`},
		{"list unclosed", `x in (1, 2`, 1, 11, `expected ")" or "," in the list`},
		{"audience name", `in audience vip`, 1, 13, `in double quotes`},
		{"empty audience", `in audience ""`, 1, 13, `audience name is empty`},
		{"leading zero", `x = 007`, 1, 5, `no leading zeros`},
		{"bad number", `x = 1.5d`, 1, 5, `invalid number "1.5d"`},
		{"bang", `x ! 1`, 1, 3, `did you mean "!="`},
		{"dollar", `x = $`, 1, 5, `parameter name`},
		{"empty backticks", "`` = 1", 1, 1, `empty name`},
		{"dot in backticks", "a.`b.c` = 1", 1, 3, `cannot contain "."`},
		{"path ends with a dot", `a. = 1`, 1, 4, `expected a name after "."`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseText(tc.text)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseText(%q) = %v, want a *SyntaxError", tc.text, err)
			}
			if se.Line != tc.line || se.Col != tc.col || !strings.Contains(se.Msg, tc.msg) {
				t.Fatalf("ParseText(%q) = %q (line %d, col %d)\nwant line %d, col %d containing %q", tc.text, se.Error(), se.Line, se.Col, tc.line, tc.col, tc.msg)
			}
			if !strings.HasPrefix(se.Error(), "line ") {
				t.Errorf("Error() = %q lacks the position", se.Error())
			}
		})
	}
}

func TestParseTextLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text, msg string
	}{
		{"deep parentheses", strings.Repeat("(", 100000) + "a = 1" + strings.Repeat(")", 100000), "nests deeper"},
		{"deep not", strings.Repeat("not ", 100000) + "a = 1", "nests deeper"},
		{"deep lists", "a in " + strings.Repeat("(", 100000), "nests deeper"},
		{"deep where", strings.Repeat("exists(p where ", 10000), "nests deeper"},
		{"too long", "a = \"" + strings.Repeat("x", MaxTextLen) + "\"", "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseText(tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("ParseText = %v, want an error containing %q", err, tc.msg)
			}
		})
	}
	// Large flat input parses in linear time.
	big := strings.Repeat("(a = 1) and ", 60000) + "x in (" + strings.Repeat("1, ", 50000) + "2)"
	if n, err := ParseText(big); err != nil || len(n.And) != 60001 {
		t.Errorf("large input: %v", err)
	}
	// The depth limit leaves room for every tree Validate accepts.
	n := mustText(t, strings.Repeat("not (a = 1 and ", MaxDepth)+"b = 2"+strings.Repeat(")", MaxDepth))
	checkRoundTrip(t, n)
}

func TestFormatText(t *testing.T) {
	for _, tc := range []struct {
		name, json, text string
	}{
		{"or inside and", `{"and": [{"or": [{"attr": "a", "op": "=", "value": 1}, {"attr": "b", "op": "=", "value": 2}]}, {"attr": "c", "op": "=", "value": 3}]}`,
			`(a = 1 or b = 2) and c = 3`},
		{"and inside or", `{"or": [{"and": [{"attr": "a", "op": "=", "value": 1}, {"attr": "b", "op": "=", "value": 2}]}, {"attr": "c", "op": "=", "value": 3}]}`,
			`a = 1 and b = 2 or c = 3`},
		{"nested and keeps its shape", `{"and": [{"and": [{"attr": "a", "op": "is_null"}, {"attr": "b", "op": "is_null"}]}, {"attr": "c", "op": "is_null"}]}`,
			`(a is null and b is null) and c is null`},
		{"not around and", `{"not": {"and": [{"attr": "a", "op": "is_null"}, {"attr": "b", "op": "is_null"}]}}`, `not (a is null and b is null)`},
		{"not around or", `{"not": {"or": [{"attr": "a", "op": "is_null"}, {"attr": "b", "op": "is_null"}]}}`, `not (a is null or b is null)`},
		{"not of not", `{"and": [{"not": {"not": {"audience": "vip"}}}, {"not": {"and": []}}]}`, `not not in audience "vip" and not all`},
		{"where needs no parentheses", `{"link": "p", "where": {"or": [{"attr": "a", "op": "is_null"}, {"attr": "b", "op": "is_null"}]}}`, `exists(p where a is null or b is null)`},
		{"single children", `{"and": [{"and": [{"audience": "a"}]}, {"or": [{"audience": "b"}]}, {"or": []}]}`, `all(in audience "a") and any(in audience "b") and any()`},
		{"strings always quoted", `{"attr": "country", "op": "in", "value": ["FR", "sat", "90d"]}`, `country in ("FR", "sat", "90d")`},
		{"bare words in context", `{"and": [{"attr": "t", "op": "within_last", "value": "90d"}, {"attr": "t", "op": "day_of_week", "value": ["sat", "Funday"]}, {"attr": "d", "op": "anniversary_within", "value": 7}]}`,
			`t within last 90d and t day of week in (sat, "Funday") and d anniversary within 7d`},
		{"between", `{"attr": "s", "op": "between", "value": [1, {"param": "hi"}]}`, `s between 1 and $hi`},
		{"aggregate", `{"link": "purchases", "where": {"attr": "amount", "op": ">", "value": 2}, "aggregate": {"fn": "sum", "attr": "amount", "op": ">", "value": 500}}`,
			`sum(purchases.amount where amount > 2) > 500`},
		{"case insensitive", `{"attr": "c", "op": "ends_with", "value": "x", "case_insensitive": true}`, `c iends with "x"`},
		{"odd names", `{"attr": "not.a b", "op": "=", "value": {"param": "x y"}}`, "`not`.`a b` = $`x y`"},
		{"empty node", `{}`, `all`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := mustJSON(t, tc.json)
			if got := FormatText(n); got != tc.text {
				t.Fatalf("FormatText = %s\nwant         %s", got, tc.text)
			}
			if tc.name != "empty node" {
				checkRoundTrip(t, n)
			}
		})
	}
}

// readLines returns the non-blank, non-comment lines of a testdata file.
func readLines(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTextRoundTripCorpus(t *testing.T) {
	for _, line := range readLines(t, "text_corpus.txt") {
		t.Run(line, func(t *testing.T) {
			n := mustText(t, line)
			text := checkRoundTrip(t, n)
			if again := FormatText(mustText(t, text)); again != text {
				t.Errorf("FormatText is not stable:\n%s\n%s", text, again)
			}
		})
	}
}

// TestJSONTextRoundTrip checks the converse: valid JSON trees print as
// text that parses back to the same tree.
func TestJSONTextRoundTrip(t *testing.T) {
	m, info := setupValidate(t)
	params := map[string]any{"hi": json.Number("10"), "range": []any{json.Number("1"), json.Number("2")}}
	for _, line := range readLines(t, "text_trees.jsonl") {
		t.Run(line, func(t *testing.T) {
			n := mustJSON(t, line)
			if err := Validate(m, &Query{Dimension: "customers", Where: n, Params: params}, info); err != nil {
				t.Fatalf("corpus tree is not valid: %v", err)
			}
			checkRoundTrip(t, n)
		})
	}
}

// TestTextInjection checks that hostile names and values stay plain data
// in the tree, whichever form they come in.
func TestTextInjection(t *testing.T) {
	hostile := []string{
		`'; DROP TABLE x; --`,
		`"; DROP TABLE x; --`,
		`a"b`, `a'b`, `a;b`, `--`, `/* x */`, "a`b", `\`, `$x`, "line\nbreak", ") or (1 = 1",
	}
	for _, s := range hostile {
		t.Run(s, func(t *testing.T) {
			n := &Node{And: []*Node{
				{Attr: s + "." + s, Op: OpIn, Value: []any{s, Param{Param: s}}},
				{Link: s, Where: &Node{Audience: s}, Aggregate: &Aggregate{Fn: FnSum, Attr: s, Op: OpEq, Value: s}},
				{Attr: "x", Op: OpContains, Value: s, CaseInsensitive: true},
			}}
			checkRoundTrip(t, n)
			j, err := json.Marshal(n)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseJSON(j)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(n, back) {
				t.Fatalf("JSON round trip differs:\n%s\n%s", jsonOf(n), jsonOf(back))
			}
		})
	}
	// Written by hand, the classic injection is one string value.
	n := mustText(t, `name = "'; DROP TABLE x; --" and note contains "--"`)
	if v := n.And[0].Value; v != "'; DROP TABLE x; --" {
		t.Errorf("value = %#v", v)
	}
	if _, err := ParseText(`name = ''; DROP TABLE x; --'`); err == nil {
		t.Error("single-quoted text parsed")
	}
}

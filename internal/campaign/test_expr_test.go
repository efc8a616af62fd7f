package campaign

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestConditionEval(t *testing.T) {
	env := map[string]any{
		"count":  int64(1500),
		"vars":   map[string]any{"discount": json.Number("15"), "country": "FR", "vip": true, "rate": 0.5},
		"params": map[string]any{"source": "api", "n": 3},
	}
	tests := []struct {
		name string
		cond string
		want bool
	}{
		{"count", "count >= 1000", true},
		{"documented example", "count >= 1000 and vars.discount > 10", true},
		{"and false", "count >= 1000 and vars.discount > 20", false},
		{"or", "count < 10 or vars.country = 'FR'", true},
		{"double equals", `vars.country == "FR"`, true},
		{"not equal", `vars.country != "FR"`, false},
		{"not", "not count < 10", true},
		{"parentheses", "not (count < 10 or vars.discount = 15)", false},
		{"precedence", "count < 10 and vars.discount = 0 or params.source = 'api'", true},
		{"literal first", "10 < vars.discount", true},
		{"float", "vars.rate <= 0.5", true},
		{"negative", "count > -1", true},
		{"exponent", "count < 1e4", true},
		{"boolean", "vars.vip = true", true},
		{"int param", "params.n = 3", true},
		{"string order", "vars.country < 'GB'", true},
		{"keywords any case", "count > 1 AND NOT vars.vip = false", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCondition(tt.cond)
			if err != nil {
				t.Fatalf("ParseCondition(%q): %v", tt.cond, err)
			}
			got, err := c.Eval(env)
			if err != nil || got != tt.want {
				t.Errorf("Eval(%q) = %v, %v; want %v", tt.cond, got, err, tt.want)
			}
		})
	}
}

func TestConditionErrors(t *testing.T) {
	env := map[string]any{"count": 5, "vars": map[string]any{"s": "x", "b": true}}
	tests := []struct {
		name    string
		cond    string
		parse   string // substring of the ParseCondition error, or ""
		evalErr string // substring of the Eval error
	}{
		{name: "empty", cond: "  ", parse: "empty"},
		{name: "unknown name", cond: "size > 3", parse: `unknown name "size"`},
		{name: "no comparison", cond: "count", parse: "expected a comparison"},
		{name: "two literals", cond: "1 < 2", parse: "reads count"},
		{name: "unclosed paren", cond: "(count > 1", parse: `expected ")"`},
		{name: "trailing", cond: "count > 1 count", parse: "after a complete condition"},
		{name: "bang", cond: "!count", parse: "use != or not"},
		{name: "open string", cond: "vars.s = 'x", parse: "never ends"},
		{name: "bad number", cond: "count > 1.2.3", parse: "not a number"},
		{name: "bad char", cond: "count > 1 ; drop", parse: "unexpected"},
		{name: "deep", cond: strings.Repeat("(", 200) + "count > 1" + strings.Repeat(")", 200), parse: "nests deeper"},
		{name: "missing var", cond: "vars.nope = 1", evalErr: "vars.nope is not set"},
		{name: "missing params", cond: "params.x = 1", evalErr: "params.x is not set"},
		{name: "kind mismatch", cond: "vars.s > 1", evalErr: "cannot compare vars.s (a string) with 1 (a number)"},
		{name: "boolean order", cond: "vars.b > false", evalErr: "booleans compare only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCondition(tt.cond)
			if tt.parse != "" {
				if err == nil || !strings.Contains(err.Error(), tt.parse) {
					t.Fatalf("ParseCondition(%q) error = %v, want ~%q", tt.cond, err, tt.parse)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCondition(%q): %v", tt.cond, err)
			}
			if _, err := c.Eval(env); err == nil || !strings.Contains(err.Error(), tt.evalErr) {
				t.Errorf("Eval(%q) error = %v, want ~%q", tt.cond, err, tt.evalErr)
			}
		})
	}
}

func TestConditionRefs(t *testing.T) {
	c, err := ParseCondition("count > 1 and (vars.a = 'x' or params.b < vars.a)")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Refs(), ","); got != "count,params.b,vars.a" {
		t.Errorf("Refs = %s", got)
	}
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"count >= 1000 and vars.discount > 10", "not (params.x = 'a' or count < 1e3)", `vars.s == "\"q"`} {
		f.Add(s)
	}
	env := map[string]any{"count": 3, "vars": map[string]any{"discount": 1, "s": "x"}, "params": map[string]any{"x": "a"}}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCondition(s)
		if err != nil {
			return
		}
		_, _ = c.Eval(env)
	})
}

package campaign

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// lineOfText returns the 1-based line of the first line of doc that
// starts with prefix.
func lineOfText(doc, prefix string) int {
	for i, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	return 0
}

func TestParseExample(t *testing.T) {
	example := documentedExample(t)
	d, err := Parse([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "spring-fashion" || d.Dimension != "customers" {
		t.Errorf("name, dimension = %q, %q", d.Name, d.Dimension)
	}
	if d.Variables["discount"] != json.Number("15") {
		t.Errorf("variables = %#v", d.Variables)
	}
	if d.Policy.OnError != "abort" || d.Policy.Retries != 3 || d.Policy.Retention.String() != "7d" {
		t.Errorf("policy = %+v", d.Policy)
	}
	groups := d.Activity("groups")
	if groups == nil || groups.Type != "split" || groups.Line != lineOfText(example, "  groups:") {
		t.Fatalf("groups = %+v", groups)
	}
	if got, want := d.lineOf("activities.groups.subsets[1].where"), lineOfText(example, "      - {name: vip"); got != want {
		t.Errorf("line of subsets[1].where = %d, want %d", got, want)
	}
	var s Split
	if err := groups.Decode(&s); err != nil {
		t.Fatal(err)
	}
	if len(s.Subsets) != 2 || s.Subsets[0].Limit != "10%" || s.Subsets[1].Name != "vip" || !s.Remainder {
		t.Errorf("split = %+v", s)
	}
	outs, err := groups.Outputs()
	if err != nil || strings.Join(outs, ",") != "control,vip,remainder" {
		t.Errorf("Outputs = %v, %v", outs, err)
	}
	want := Transition{From: "groups", Output: "vip", To: "mail_vip", Line: lineOfText(example, "  - groups.vip -> mail_vip")}
	if d.Transitions[6] != want {
		t.Errorf("transitions[6] = %+v, want %+v", d.Transitions[6], want)
	}
	if d.Transitions[0].Output != "out" {
		t.Errorf("default output = %q", d.Transitions[0].Output)
	}
}

// TestParseJSON reads the JSON form of a campaign the same way as YAML.
func TestParseJSON(t *testing.T) {
	y, err := Parse([]byte(`name: n
activities:
  a: {type: start}
  b: {type: split, subsets: [{name: x, limit: 5}], remainder: true}
transitions:
  - a -> b
  - {from: b, output: x, to: c}
  - b.remainder -> c
`))
	if err != nil {
		t.Fatal(err)
	}
	j, err := Parse([]byte(`{"name": "n", "activities": {
  "a": {"type": "start"},
  "b": {"type": "split", "subsets": [{"name": "x", "limit": 5}], "remainder": true}},
 "transitions": ["a -> b", {"from": "b", "output": "x", "to": "c"}, "b.remainder -> c"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := canonical(t, y), canonical(t, j); a != b {
		t.Errorf("YAML and JSON differ:\n%s\n%s", a, b)
	}
	if got := j.Activity("b").Settings["subsets"].([]any)[0].(map[string]any)["limit"]; got != json.Number("5") {
		t.Errorf("limit = %#v, want json.Number 5", got)
	}
}

func TestParseValues(t *testing.T) {
	d, err := Parse([]byte(`name: n
schedule: {cron: "0 9 * * 1", timezone: Europe/Paris, from: 2026-05-01T00:00:00Z}
policy: {on_error: wait, retries: 0, retention: 30d}
activities:
  w: {type: wait, label: Pause, until: 2026-05-02T08:00:00+02:00, n: 0x10, f: 1.5, b: true, z: null, l: [1, "a"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if d.Schedule.Cron != "0 9 * * 1" || !d.Schedule.From.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("schedule = %+v", d.Schedule)
	}
	if d.Policy.OnError != "wait" || d.Policy.Retries != 0 || d.Policy.Retention.String() != "30d" {
		t.Errorf("policy = %+v", d.Policy)
	}
	w := d.Activities[0]
	want := map[string]any{"until": "2026-05-02T08:00:00+02:00", "n": json.Number("16"), "f": json.Number("1.5"), "b": true, "z": nil, "l": []any{json.Number("1"), "a"}}
	if w.Label != "Pause" || !reflect.DeepEqual(w.Settings, want) {
		t.Errorf("activity = %+v", w)
	}
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		activity string
		path     string
		line     int
		message  string
	}{
		{"syntax", "name: [\n", "", "", 1, "syntax error"},
		{"empty", "", "", "", 0, "the document is empty"},
		{"not a mapping", "- a\n", "", "", 1, "expected a mapping"},
		{"unknown field", "name: n\ncolor: red\n", "", "color", 2, `unknown field "color"`},
		{"duplicate field", "name: n\nname: m\n", "", "name", 2, "duplicate name"},
		{"name not a string", "name: [a]\n", "", "name", 1, "expected a string"},
		{"activity not a mapping", "activities:\n  a: start\n", "a", "activities.a", 2, "expected a mapping with a type"},
		{"duplicate setting", "activities:\n  a:\n    type: wait\n    duration: 1d\n    duration: 2d\n", "a", "activities.a.duration", 5, "duplicate name"},
		{"alias", "activities:\n  a: &x {type: start}\n  b: {type: end, signal: *x}\n", "b", "activities.b.signal", 3, "aliases are not supported"},
		{"infinity", "activities:\n  a: {type: wait, n: .inf}\n", "a", "activities.a.n", 2, "unsupported value"},
		{"transition text", "transitions:\n  - a => b\n", "", "transitions[0]", 2, `write "from -> to"`},
		{"transition empty port", "transitions:\n  - a. -> b\n", "", "transitions[0]", 2, `write "from.output -> to"`},
		{"transition mapping", "transitions:\n  - {from: a}\n", "", "transitions[0]", 2, "needs from and to"},
		{"transition field", "transitions:\n  - {from: a, to: b, via: c}\n", "", "transitions[0].via", 2, `unknown field "via"`},
		{"transitions not a list", "transitions: a -> b\n", "", "transitions", 1, "expected a list of transitions"},
		{"schedule time", "schedule:\n  at: tomorrow\n", "", "schedule.at", 2, "not an RFC 3339 time"},
		{"retention", "policy:\n  retention: a week\n", "", "policy.retention", 2, "duration"},
		{"retries", "policy:\n  retries: many\n", "", "policy.retries", 2, "expected a small integer"},
		{"variables not a mapping", "variables: [a]\n", "", "variables", 1, "expected a mapping"},
		{"layout not a mapping", "layout: [a]\n", "", "layout", 1, "expected a mapping"},
		{"layout position field", "layout:\n  a: {x: 1, y: 2, z: 3}\n", "", "layout.a.z", 2, `unknown field "z"`},
		{"layout position incomplete", "layout:\n  a: {x: 1}\n", "", "layout.a", 2, "needs x and y"},
		{"layout position not a number", "layout:\n  a: {x: 1, y: top}\n", "", "layout.a.y", 2, "expected a number"},
		{"layout position too far", "layout:\n  a: {x: 1, y: 1e12}\n", "", "layout.a.y", 2, "expected a number from -1000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			ps := problemsOf(t, err)
			for _, p := range ps {
				if p.Activity == tt.activity && p.Path == tt.path && p.Line == tt.line && strings.Contains(p.Message, tt.message) {
					return
				}
			}
			t.Errorf("want {activity %q, path %q, line %d, message ~%q}; got:", tt.activity, tt.path, tt.line, tt.message)
			for _, p := range ps {
				t.Errorf("  %+v", p)
			}
		})
	}
}

func TestParseTransition(t *testing.T) {
	tests := []struct {
		name, in, from, output, to string
		bad                        bool
	}{
		{name: "plain", in: "a -> b", from: "a", output: "out", to: "b"},
		{name: "port", in: "a.vip->b", from: "a", output: "vip", to: "b"},
		{name: "spaces", in: "  a . x  ->  b ", from: "a", output: "x", to: "b"},
		{name: "no arrow", in: "a b", bad: true},
		{name: "two arrows", in: "a -> b -> c", bad: true},
		{name: "no target", in: "a ->", bad: true},
		{name: "no port", in: ".x -> b", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, output, to, err := ParseTransition(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("ParseTransition(%q) = %q %q %q, want an error", tt.in, from, output, to)
				}
				return
			}
			if err != nil || from != tt.from || output != tt.output || to != tt.to {
				t.Errorf("ParseTransition(%q) = %q %q %q %v", tt.in, from, output, to, err)
			}
		})
	}
}

// canonical renders a document without its lines, to compare documents.
func canonical(t testing.TB, d *Document) string {
	t.Helper()
	c := *d
	c.lines = nil
	c.Activities = nil
	for _, a := range d.Activities {
		x := *a
		x.Line = 0
		c.Activities = append(c.Activities, &x)
	}
	c.Transitions = nil
	for _, tr := range d.Transitions {
		tr.Line = 0
		c.Transitions = append(c.Transitions, tr)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestLayout: positions on the canvas parse, print back in activity
// order, and are checked against the activities; a run never reads them
// (nothing outside the console reads Layout).
func TestLayout(t *testing.T) {
	doc := head + "  e: {type: end}\ntransitions: [start -> all, all -> e]\nlayout:\n  e: {x: 10.5, y: -0}\n  start: {x: 0, y: 0}\n  all: {x: 200, y: 1000.0}\n"
	d, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Position{"start": {0, 0}, "all": {200, 1000}, "e": {10.5, 0}}
	if !reflect.DeepEqual(d.Layout, want) {
		t.Errorf("layout = %v, want %v", d.Layout, want)
	}
	if err := Validate(d, setupModel(t), savedAudiences); err != nil {
		t.Errorf("a document with a layout: %v", err)
	}
	out := string(Format(d))
	if !strings.HasSuffix(out, "layout:\n  start: {x: 0, y: 0}\n  all: {x: 200, y: 1000}\n  e: {x: 10.5, y: 0}\n") {
		t.Errorf("formatted:\n%s", out)
	}
	back, err := Parse([]byte(out))
	if err != nil || !reflect.DeepEqual(back.Layout, want) {
		t.Errorf("read back: %v, %v", back.Layout, err)
	}

	d, err = Parse([]byte(head + "transitions: [start -> all]\nlayout:\n  gone: {x: 1, y: 2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ps := problemsOf(t, Validate(d, setupModel(t), savedAudiences))
	found := false
	for _, p := range ps {
		found = found || (p.Path == "layout.gone" && p.Line == 9 && strings.Contains(p.Message, `layout names "gone", which is not an activity`))
	}
	if !found {
		t.Errorf("a position of no activity: %+v", ps)
	}
}

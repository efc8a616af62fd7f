package campaign

import (
	"strings"
	"testing"
)

// TestValidateAccepts checks campaigns that use every activity type.
func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name string
		doc  string
	}{
		{"scheduler, wait, test, signal end", `name: weekly
dimension: customers
variables: {min: 100, country: FR}
activities:
  every_monday: {type: scheduler, cron: "0 9 * * 1", timezone: Europe/Paris, from: 2026-01-01T00:00:00Z, until: 2026-12-31T00:00:00Z}
  french: {type: build_audience, query: 'country = $country', skip_empty: true}
  pause: {type: wait, duration: 2h}
  big: {type: test, branches: [{name: many, if: 'count >= vars.min'}]}
  tell: {type: end, signal: {campaign: follow-up, params: {wave: 1}}}
  quiet: {type: end}
transitions:
  - every_monday -> french
  - french -> pause
  - pause -> big
  - big.many -> tell
  - big.default -> quiet
`},
		{"signal, incremental query, change_dimension, and_join", `name: new-buyers
dimension: customers
activities:
  api: {type: signal, params: [source]}
  fresh: {type: incremental_query, dimension: purchases, query: 'amount > 10', since: purchased_at}
  buyers: {type: change_dimension, link: customer}
  saved: {type: read_audience, audience: vip}
  both: {type: and_join, primary: buyers}
  which: {type: test, branches: [{name: from_api, if: 'params.source = "api"'}]}
  mail: {type: email, subject: 'Hello {{first_name}}', template: {html: '<p>Hi</p>'}}
  stop: {type: end}
transitions:
  - api -> fresh
  - api -> saved
  - fresh -> buyers
  - buyers -> both
  - saved -> both
  - both -> which
  - which.from_api -> mail
  - which.default -> stop
`},
		{"file, reconcile, combine, deduplicate, split", `name: import
dimension: customers
activities:
  go: {type: start}
  file: {type: load_file, path: in/list.csv, format: csv, columns: {mail: string}}
  match: {type: reconcile, match: [{column: mail, attribute: email}]}
  vip:
    type: build_audience
    where: {and: [{attr: loyalty_tier, op: in, value: [gold, platinum]}]}
  all_of: {type: combine, mode: intersection, complement: true}
  dedup: {type: deduplicate, fields: [email], method: highest, by: created_at, keep: 1}
  parts: {type: split, overlap: true, subsets: [{name: top, limit: 100, order: created_at desc}, {name: some, limit: 5%, order: random}]}
  save: {type: save_audience, audience: top-buyers, mode: append}
  done: {type: end}
transitions:
  - go -> file
  - file -> match
  - go -> vip
  - match -> all_of
  - vip -> all_of
  - all_of -> dedup
  - all_of.complement -> done
  - dedup -> parts
  - parts.top -> save
  - parts.some -> done
  - save -> done
`},
	}
	m := setupModel(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := Validate(d, m, savedAudiences); err != nil {
				t.Fatal(err)
			}
			back, err := Parse(Format(d))
			if err != nil {
				t.Fatalf("Parse(Format): %v\n%s", err, Format(d))
			}
			if a, b := canonical(t, d), canonical(t, back); a != b {
				t.Errorf("Format round trip differs:\n%s\n%s", a, b)
			}
		})
	}
}

// TestValidateListsEveryProblem checks that one call reports problems of
// several activities, ordered by line.
func TestValidateListsEveryProblem(t *testing.T) {
	d, err := Parse([]byte(head + `  s: {type: split, subsets: [{name: a, limit: 0%}]}
  x: {type: teleport}
  w: {type: wait}
transitions: [start -> all, all -> s, s.a -> w]
`))
	if err != nil {
		t.Fatal(err)
	}
	ps := problemsOf(t, Validate(d, setupModel(t), nil))
	var got []string
	last := 0
	for _, p := range ps {
		got = append(got, p.Activity+" "+p.Path)
		if p.Line < last {
			t.Errorf("problems not ordered by line: %v", ps)
		}
		last = p.Line
	}
	want := []string{"s activities.s.subsets[0].limit", "x activities.x.type", "w activities.w", "w activities.w"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("problems = %q, want %q\n%v", got, want, ps)
	}
}

// TestValidateBuiltInGo checks a document built without Parse: problems
// fall back on the activity's line (0) and policy defaults are accepted.
func TestValidateBuiltInGo(t *testing.T) {
	d := &Document{
		Name:      "go",
		Dimension: "customers",
		Activities: []*Activity{
			{ID: "start", Type: "start"},
			{ID: "all", Type: "build_audience", Settings: map[string]any{"query": "all"}},
			{ID: "mail", Type: "sms"},
		},
		Transitions: []Transition{{From: "start", Output: "out", To: "all"}, {From: "all", Output: "out", To: "mail"}},
	}
	ps := problemsOf(t, Validate(d, setupModel(t), nil))
	if len(ps) != 1 || ps[0].Activity != "mail" || !strings.Contains(ps[0].Message, "customers cannot receive sms") {
		t.Errorf("problems = %v", ps)
	}
}

package campaign

import (
	"testing"
)

// FuzzParse feeds arbitrary documents to Parse and Validate: they must
// never panic, and whatever Parse accepts must survive Format unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte(documentedExample(f)))
	f.Add([]byte(head + "  e: {type: end}\ntransitions: [start -> all, all -> e]\n"))
	f.Add([]byte(`{"name": "j", "activities": {"s": {"type": "start"}, "w": {"type": "wait", "duration": "2h"}}, "transitions": [{"from": "s", "to": "w"}]}`))
	f.Add([]byte("name: n\nschedule: {at: 2026-05-01T09:00:00+02:00}\nvariables: {x: [1, {a: null}], \"null\": yes}\nactivities:\n  \"a b\": {type: x, label: \"\\u00e9\"}\ntransitions: [{from: \"a b\", to: c}]\n"))
	f.Add([]byte(head + "transitions: [start -> all]\nlayout:\n  all: {x: -0.5, y: 1e2}\n  x: {x: 0, y: 999999999.75}\n"))
	f.Add([]byte("activities:\n  t: {type: test, branches: [{name: a, if: 'not (count > 1 or vars.x = \"y\")'}]}\n"))
	m := setupModel(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		d, err := Parse(doc)
		if err != nil {
			return
		}
		_ = Validate(d, m, savedAudiences)
		out := Format(d)
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Format(d)) failed: %v\ninput:\n%s\nformatted:\n%s", err, doc, out)
		}
		if a, b := canonical(t, d), canonical(t, back); a != b {
			t.Fatalf("round trip differs\ninput:\n%s\nformatted:\n%s\nbefore: %s\nafter:  %s", doc, out, a, b)
		}
	})
}

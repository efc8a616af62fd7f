package campaign

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateAccepts checks campaigns that use every activity type
// (testdata/accepted-*.yaml), and that they format back to themselves.
func TestValidateAccepts(t *testing.T) {
	// The documents are files (testdata/accepted-*.yaml), so that the
	// console's round trip opens them on the canvas too.
	files, err := filepath.Glob("testdata/accepted-*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("testdata/accepted-*.yaml: %v, %v", files, err)
	}
	type test struct{ name, doc string }
	var tests []test
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests, test{filepath.Base(f), string(doc)})
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

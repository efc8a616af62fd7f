package campaign

import (
	"strings"
	"testing"
)

func TestOutputs(t *testing.T) {
	tests := []struct {
		name     string
		activity Activity
		want     string
	}{
		{"start", Activity{Type: "start"}, "out"},
		{"end", Activity{Type: "end"}, ""},
		{"deduplicate", Activity{Type: "deduplicate"}, "out,duplicates"},
		{"combine", Activity{Type: "combine", Settings: map[string]any{"mode": "exclusion", "complement": true}}, "out,complement"},
		{"split", Activity{Type: "split", Settings: map[string]any{"subsets": []any{map[string]any{"name": "a"}}}}, "a"},
		{"split remainder", Activity{Type: "split", Settings: map[string]any{"subsets": []any{map[string]any{"name": "a"}}, "remainder": true}}, "a,remainder"},
		{"test", Activity{Type: "test", Settings: map[string]any{"branches": []any{map[string]any{"name": "big", "if": "count > 1"}}}}, "big,default"},
		{"email", Activity{Type: "email", Settings: map[string]any{"subject": "Hi"}}, "out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.activity.Outputs()
			if err != nil || strings.Join(got, ",") != tt.want {
				t.Errorf("Outputs = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
	if _, err := (&Activity{Type: "teleport"}).Outputs(); err == nil {
		t.Error("Outputs of an unknown type: no error")
	}
}

func TestDecode(t *testing.T) {
	a := &Activity{ID: "x", Type: "split", Settings: map[string]any{"subsets": []any{map[string]any{"name": "a", "limit": "10%"}}, "colour": "red"}}
	var s Split
	if err := a.Decode(&s); err == nil || !strings.Contains(err.Error(), `unknown field "colour"`) {
		t.Errorf("Decode with an unknown setting: %v", err)
	}
	delete(a.Settings, "colour")
	if err := a.Decode(&s); err != nil || s.Subsets[0].Limit != "10%" {
		t.Errorf("Decode = %+v, %v", s, err)
	}
	n, p, err := s.Subsets[0].Limit.Parse()
	if n != 0 || p != 10 || err != nil {
		t.Errorf("Limit.Parse = %d, %v, %v", n, p, err)
	}
	if n, _, err := Limit("100").Parse(); n != 100 || err != nil {
		t.Errorf("Limit(100).Parse = %d, %v", n, err)
	}
	for _, bad := range []Limit{"0%", "101%", "0", "-1", "ten", "1.5"} {
		if _, _, err := bad.Parse(); err == nil {
			t.Errorf("Limit(%q).Parse: no error", bad)
		}
	}
}

func TestTypesDescribeEveryDocumentedType(t *testing.T) {
	doc := documentedTypes(t)
	for _, name := range doc {
		if _, ok := Types[name]; !ok {
			t.Errorf("docs/campaigns.md documents %q, Types lacks it", name)
		}
	}
	if len(doc) != len(Types) {
		t.Errorf("docs/campaigns.md documents %d types, Types has %d: %v", len(doc), len(Types), TypeNames())
	}
}

// TestTypesAreComplete checks that every entry of Types declares what the
// validator calls: a settings struct and, unless it starts a run, the
// dimension of its rows.
func TestTypesAreComplete(t *testing.T) {
	for _, name := range TypeNames() {
		ti := Types[name]
		if ti.settings == nil {
			t.Errorf("%s: no settings struct", name)
		}
		if ti.Entry != (ti.rows == nil) {
			t.Errorf("%s: entry %v, but rows function set %v: entries have no input rows, every other type has", name, ti.Entry, ti.rows != nil)
		}
		if ti.Dynamic != (ti.ports != nil) {
			t.Errorf("%s: dynamic %v, but ports function set %v", name, ti.Dynamic, ti.ports != nil)
		}
	}
}

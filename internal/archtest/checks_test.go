package archtest

import (
	"go/ast"
	"testing"
)

// TestMatchAndRuleFor: a pattern "x/..." is x and what is below it, and a
// package's own row wins over a pattern.
func TestMatchAndRuleFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"channel/...", "channel", true},
		{"channel/...", "channel/push/apns", true},
		{"channel/...", "channels", false},
		{"store", "store/storetest", false},
		{"store", "store", true},
	} {
		if got := match(tc.pattern, tc.name); got != tc.want {
			t.Errorf("match(%q, %q) = %v", tc.pattern, tc.name, got)
		}
	}
	rules := []rule{{pkg: "store/..."}, {pkg: "store", layer: 1}, {pkg: "x/..."}, {pkg: "x/y/..."}}
	if r, _ := ruleFor(rules, "store"); r.layer != 1 {
		t.Errorf("ruleFor(store) = %+v, want its own row", r)
	}
	if r, _ := ruleFor(rules, "x/y/z"); r.pkg != "x/y/..." {
		t.Errorf("ruleFor(x/y/z) = %+v, want the longest pattern", r)
	}
	if _, ok := ruleFor(rules, "nowhere"); ok {
		t.Error("ruleFor found a row for a package without one")
	}
}

// TestSizeMarker: only "// size:" with a reason lifts a limit.
func TestSizeMarker(t *testing.T) {
	t.Parallel()
	group := func(text string) *ast.CommentGroup { return &ast.CommentGroup{List: []*ast.Comment{{Text: text}}} }
	for text, want := range map[string]bool{
		"// size: one switch over every SQLSTATE": true,
		"//size: the table of operators":          true,
		"// size:":                                false,
		"// the size: of nothing":                 false,
	} {
		if got := hasMarker(group(text)); got != want {
			t.Errorf("hasMarker(%q) = %v", text, got)
		}
	}
	if hasMarker(nil) {
		t.Error("hasMarker(nil)")
	}
}

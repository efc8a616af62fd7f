package docparse

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/goccy/go-yaml/ast"
)

// setup parses doc and returns a reader collecting its problems, and the
// body of the document.
func setup(t *testing.T, doc string, duplicatesLast bool) (*Reader, *[]Problem, ast.Node) {
	t.Helper()
	f, err := ParseBytes([]byte(doc))
	if err != nil {
		t.Fatalf("ParseBytes: %v", err)
	}
	problems := &[]Problem{}
	r := &Reader{
		Lines:          map[string]int{},
		Report:         func(p Problem) { *problems = append(*problems, p) },
		DuplicatesLast: duplicatesLast,
	}
	return r, problems, r.Body(f, "empty")
}

func texts(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func TestUniqueMapping(t *testing.T) {
	const doc = "x: &k b\nm: {a: 1, a: 2, *k : 3, b: 4}\n"
	dup := `line 2: m.a: duplicate name "a" (first at line 2)`
	alias := `line 2: m: expected a name as mapping key, found an alias (aliases are not supported)`
	tests := []struct {
		name           string
		duplicatesLast bool
		want           []string
	}{
		{"document order", false, []string{dup, alias}},
		{"duplicates last", true, []string{alias, dup}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, problems, body := setup(t, doc, tt.duplicatesLast)
			fields, ok := r.Object("", 0, body, "x", "m")
			if !ok {
				t.Fatal("Object: not a mapping")
			}
			var names []string
			for _, e := range r.UniqueMapping("m", fields["m"].Line, fields["m"].Value) {
				names = append(names, e.Name)
			}
			if want := []string{"a", "b"}; !reflect.DeepEqual(names, want) {
				t.Errorf("names = %q, want %q", names, want)
			}
			if got := texts(*problems); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems = %q, want %q", got, tt.want)
			}
			if r.Lines["m"] != 2 {
				t.Errorf("line of m = %d, want 2", r.Lines["m"])
			}
		})
	}
}

func TestMappingKeepsDuplicates(t *testing.T) {
	r, problems, body := setup(t, "a: 1\na: 2\n", false)
	if got := len(r.Mapping("", 0, body)); got != 2 || len(*problems) != 0 {
		t.Errorf("Mapping = %d entries, problems %q; want 2 and none", got, texts(*problems))
	}
}

func TestObject(t *testing.T) {
	r, problems, body := setup(t, "name: n\ncolour: red\n", false)
	fields, ok := r.Object("", 0, body, "name", "size")
	if !ok || r.Text("name", fields["name"]) != "n" {
		t.Fatalf("Object = %v, %v", fields, ok)
	}
	want := []string{`line 2: colour: unknown field "colour" (valid: name, size)`}
	if got := texts(*problems); !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
}

func TestValue(t *testing.T) {
	r, problems, body := setup(t, "v:\n  n: 12\n  f: 1.5\n  l: [a, true, null]\n  big: 18446744073709551615\n", false)
	fields, _ := r.Object("", 0, body, "v")
	got := r.Value("v", fields["v"].Line, fields["v"].Value)
	want := map[string]any{
		"n": json.Number("12"), "f": json.Number("1.5"),
		"l": []any{"a", true, nil}, "big": json.Number("18446744073709551615"),
	}
	if !reflect.DeepEqual(got, want) || len(*problems) != 0 {
		t.Errorf("Value = %#v (problems %q), want %#v", got, texts(*problems), want)
	}
	if l := Nearest(r.Lines, "v.l[2].x", ".["); l != 4 {
		t.Errorf("line of v.l[2].x = %d, want 4", l)
	}
}

func TestReaders(t *testing.T) {
	r, problems, body := setup(t, "s: [a, b]\nt: x\ni: 4294967296\nb: yes\n", false)
	f, _ := r.Object("", 0, body, "s", "t", "i", "b")
	if got := r.TextList("s", f["s"]); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("TextList(s) = %q", got)
	}
	if got := r.TextList("t", f["t"]); !reflect.DeepEqual(got, []string{"x"}) {
		t.Errorf("TextList(t) = %q", got)
	}
	if _, ok := r.Int("i", f["i"]); ok {
		t.Error("Int accepted a number beyond 32 bits")
	}
	r.Bool("b", f["b"])
	want := []string{
		`line 3: i: expected a small integer, found "4294967296"`,
		`line 4: b: expected true or false, found "yes"`,
	}
	if got := texts(*problems); !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
}

func TestBody(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"empty", "", []string{"empty"}},
		{"two documents", "a: 1\n---\nb: 2\n", []string{"line 3: only one document is allowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems, _ := setup(t, tt.doc, false)
			if got := texts(*problems); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSyntaxProblem(t *testing.T) {
	_, err := ParseBytes([]byte("a: 1\nb: [\n"))
	if err == nil {
		t.Fatal("ParseBytes accepted an unclosed list")
	}
	if p := SyntaxProblem(err); p.Line == 0 || p.Path != "" {
		t.Errorf("SyntaxProblem = %+v, want a line and no path", p)
	}
	if p := SyntaxProblem(errors.New("boom")); p != (Problem{Message: "syntax error: boom"}) {
		t.Errorf("SyntaxProblem(other) = %+v", p)
	}
}

func TestNearest(t *testing.T) {
	lines := map[string]int{"a": 1, "a.b": 2, "a.b[2]": 3}
	tests := []struct {
		name, path, seps string
		want             int
	}{
		{"exact", "a.b[2]", ".[", 3},
		{"ancestor", "a.b[2].c", ".[", 3},
		{"brackets", "a.b[9].c", ".[", 2},
		{"dots only", "a.b[9].c", ".", 1},
		{"none", "z.y", ".[", 0},
		{"empty", "", ".", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Nearest(lines, tt.path, tt.seps); got != tt.want {
				t.Errorf("Nearest(%q) = %d, want %d", tt.path, got, tt.want)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	one := []Problem{{Path: "a", Line: 2, Message: "bad"}}
	if got, want := ErrorText("invalid x", one), "invalid x: line 2: a: bad"; got != want {
		t.Errorf("ErrorText(one) = %q, want %q", got, want)
	}
	two := append(one, Problem{Message: "worse"})
	if got, want := ErrorText("invalid x", two), "invalid x: 2 problems:\n  line 2: a: bad\n  worse"; got != want {
		t.Errorf("ErrorText(two) = %q, want %q", got, want)
	}
}

// FuzzReader walks any document with every reader: untrusted input must
// not make it panic.
func FuzzReader(f *testing.F) {
	f.Add("a: {b: [1, 2.5, x]}\nc: &k d\ne: *k\n")
	f.Add("{a: 1, a: 2}")
	f.Fuzz(func(t *testing.T, doc string) {
		file, err := ParseBytes([]byte(doc))
		if err != nil {
			_ = SyntaxProblem(err)
			return
		}
		r := &Reader{Lines: map[string]int{}, Report: func(Problem) {}}
		body := r.Body(file, "empty")
		for _, e := range r.Mapping("", 0, body) {
			r.Value(e.Name, e.Line, e.Value)
			r.TextList(e.Name, e)
			r.Int(e.Name, e)
			r.Bool(e.Name, e)
		}
	})
}

package docparse

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Entry is one key: value pair of a mapping.
type Entry struct {
	Name  string
	Line  int // line of the key
	Value ast.Node
}

// Reader walks a syntax tree, reporting every problem it meets rather
// than stopping at the first, and records the line of the fields it reads.
type Reader struct {
	// Lines receives the line of every field Object and Value read, by
	// path. It must not be nil when they are used.
	Lines map[string]int
	// Report receives each problem found.
	Report func(Problem)
	// DuplicatesLast reports the duplicate keys of a mapping after its
	// malformed keys instead of in document order. The two orders differ
	// only for problems on one line, which Parse functions keep in the
	// order they were found.
	DuplicatesLast bool
}

// Add reports a problem.
func (r *Reader) Add(path string, line int, format string, args ...any) {
	r.Report(Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

// Body returns the body of the only document of f. It reports more than
// one document, and when there is none reports empty and returns nil.
func (r *Reader) Body(f *ast.File, empty string) ast.Node {
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if body != nil {
			r.Add("", LineOf(d.Body), "only one document is allowed")
			break
		}
		body = d.Body
	}
	if body == nil {
		r.Add("", 0, "%s", empty)
	}
	return body
}

// Mapping returns the entries of a mapping in order, duplicate keys
// included, reporting malformed keys (and dropping them) and non-mapping
// values. Null is an empty mapping.
func (r *Reader) Mapping(path string, line int, n ast.Node) []Entry {
	return r.mapping(path, line, n, nil)
}

// UniqueMapping is Mapping with duplicate keys reported and dropped.
func (r *Reader) UniqueMapping(path string, line int, n ast.Node) []Entry {
	keep := r.firstOnly(path)
	if !r.DuplicatesLast {
		return r.mapping(path, line, n, keep)
	}
	var out []Entry
	for _, e := range r.mapping(path, line, n, nil) {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// firstOnly returns a filter that keeps the first entry of each name in
// the mapping at path and reports the others.
func (r *Reader) firstOnly(path string) func(Entry) bool {
	first := map[string]int{}
	return func(e Entry) bool {
		if fl, dup := first[e.Name]; dup {
			r.Add(Join(path, e.Name), e.Line, "duplicate name %q (first at line %d)", e.Name, fl)
			return false
		}
		first[e.Name] = e.Line
		return true
	}
}

func (r *Reader) mapping(path string, line int, n ast.Node, keep func(Entry) bool) []Entry {
	n = Unwrap(n)
	var values []*ast.MappingValueNode
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return nil
	case *ast.MappingNode:
		values = v.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{v}
	default:
		if l := LineOf(n); l > 0 {
			line = l
		}
		r.Add(path, line, "expected a mapping, found %s", Describe(n))
		return nil
	}
	var out []Entry
	for _, mv := range values {
		if mv == nil {
			continue
		}
		key := Unwrap(mv.Key)
		kl := LineOf(key)
		if kl == 0 {
			kl = LineOf(mv)
		}
		name, ok := ScalarText(key)
		if !ok {
			r.Add(path, kl, "expected a name as mapping key, found %s", Describe(key))
			continue
		}
		e := Entry{Name: name, Line: kl, Value: mv.Value}
		if keep != nil && !keep(e) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// Object reads a mapping whose keys are fixed field names, reporting
// duplicate and unknown ones, and records the line of each field. It
// returns false when n is not a mapping.
func (r *Reader) Object(path string, line int, n ast.Node, allowed ...string) (map[string]Entry, bool) {
	n = Unwrap(n)
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
	default:
		if l := LineOf(n); l > 0 && n != nil {
			line = l
		}
		r.Add(path, line, "expected a mapping, found %s", Describe(n))
		return nil, false
	}
	out := map[string]Entry{}
	for _, e := range r.UniqueMapping(path, line, n) {
		if !contains(allowed, e.Name) {
			r.Add(Join(path, e.Name), e.Line, "unknown field %q (valid: %s)", e.Name, strings.Join(allowed, ", "))
			continue
		}
		r.Lines[Join(path, e.Name)] = e.Line
		out[e.Name] = e
	}
	return out, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Text reads a scalar as text (see ScalarText).
func (r *Reader) Text(path string, e Entry) string {
	s, ok := ScalarText(e.Value)
	if !ok {
		r.Add(path, e.Line, "expected a string, found %s", Describe(Unwrap(e.Value)))
	}
	return s
}

// TextList reads one string or a list of strings; nil for none.
func (r *Reader) TextList(path string, e Entry) []string {
	seq, ok := Unwrap(e.Value).(*ast.SequenceNode)
	if !ok {
		s := r.Text(path, e)
		if s == "" {
			return nil
		}
		return []string{s}
	}
	out := []string{}
	for _, v := range seq.Values {
		s, ok := ScalarText(v)
		if !ok {
			r.Add(path, LineOf(v), "expected a string, found %s", Describe(Unwrap(v)))
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Int reads an integer that fits in 32 bits.
func (r *Reader) Int(path string, e Entry) (int, bool) {
	if v, ok := Unwrap(e.Value).(*ast.IntegerNode); ok {
		switch n := v.Value.(type) {
		case int64:
			if n >= -1<<31 && n < 1<<31 {
				return int(n), true
			}
		case uint64:
			if n < 1<<31 {
				return int(n), true
			}
		}
	}
	r.Add(path, e.Line, "expected a small integer, found %s", Describe(Unwrap(e.Value)))
	return 0, false
}

// Bool reads true or false.
func (r *Reader) Bool(path string, e Entry) bool {
	if v, ok := Unwrap(e.Value).(*ast.BoolNode); ok {
		return v.Value
	}
	r.Add(path, e.Line, "expected true or false, found %s", Describe(Unwrap(e.Value)))
	return false
}

// Value converts any value to its JSON-friendly form — string,
// json.Number, bool, nil, []any or map[string]any — recording the line of
// every nested path that has none yet. Numbers stay json.Number so that
// no precision is lost.
func (r *Reader) Value(path string, line int, n ast.Node) any {
	n = Unwrap(n)
	if l := LineOf(n); l > 0 {
		line = l
	}
	if _, seen := r.Lines[path]; !seen {
		r.Lines[path] = line
	}
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return nil
	case *ast.MappingNode, *ast.MappingValueNode:
		m := map[string]any{}
		for _, e := range r.UniqueMapping(path, line, v) {
			ep := Join(path, e.Name)
			r.Lines[ep] = e.Line
			m[e.Name] = r.Value(ep, e.Line, e.Value)
		}
		return m
	case *ast.SequenceNode:
		list := make([]any, 0, len(v.Values))
		for i, x := range v.Values {
			list = append(list, r.Value(Index(path, i), line, x))
		}
		return list
	case *ast.StringNode:
		return v.Value
	case *ast.LiteralNode:
		if v.Value == nil {
			return ""
		}
		return v.Value.Value
	case *ast.BoolNode:
		return v.Value
	case *ast.IntegerNode:
		switch x := v.Value.(type) {
		case int64:
			return json.Number(strconv.FormatInt(x, 10))
		case uint64:
			return json.Number(strconv.FormatUint(x, 10))
		}
	case *ast.FloatNode:
		if !math.IsInf(v.Value, 0) && !math.IsNaN(v.Value) {
			return json.Number(strconv.FormatFloat(v.Value, 'g', -1, 64))
		}
	}
	r.Add(path, line, "unsupported value: %s", Describe(n))
	return nil
}

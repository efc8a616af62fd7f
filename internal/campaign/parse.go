package campaign

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// MaxDocumentSize bounds the documents Parse reads.
const MaxDocumentSize = 4 << 20

// Parse reads a campaign document (YAML, or JSON, which is YAML), keeping
// the order of activities and the line of every value. It reports problems
// of shape — syntax, unknown fields, values of the wrong kind, unreadable
// transitions, times and durations — as a *ValidationError; Validate
// checks the rest. Parse fills the policy defaults.
func Parse(doc []byte) (*Document, error) {
	if len(doc) > MaxDocumentSize {
		return nil, &ValidationError{Problems: []Problem{{Message: fmt.Sprintf("the document is larger than %d bytes", MaxDocumentSize)}}}
	}
	file, err := parseYAML(doc)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{syntaxProblem(err)}}
	}
	p := &docParser{d: &Document{Policy: DefaultPolicy(), lines: map[string]int{}}}
	p.file(file)
	if len(p.problems) > 0 {
		ps := p.problems
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
		return nil, &ValidationError{Problems: ps}
	}
	return p.d, nil
}

// parseYAML guards against panics in the YAML parser: the document is
// untrusted input.
func parseYAML(doc []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("cannot parse the document: %v", r)
		}
	}()
	return parser.ParseBytes(doc, 0, parser.AllowDuplicateMapKey())
}

func syntaxProblem(err error) Problem {
	var yerr yaml.Error
	if errors.As(err, &yerr) {
		line := 0
		if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
			line = tk.Position.Line
		}
		return Problem{Line: line, Message: "syntax error: " + yerr.GetMessage()}
	}
	return Problem{Message: "syntax error: " + err.Error()}
}

type docParser struct {
	d        *Document
	problems []Problem
	activity string // id of the activity being read, for problems
}

func (p *docParser) add(path string, line int, format string, args ...any) {
	p.problems = append(p.problems, Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...), Activity: p.activity})
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func lineOfNode(n ast.Node) int {
	if n == nil {
		return 0
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}

// unwrap looks through anchors and tags.
func unwrap(n ast.Node) ast.Node {
	for i := 0; i < 100; i++ {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
	return n
}

// entry is one key: value pair of a mapping.
type entry struct {
	name  string
	line  int // line of the key
	value ast.Node
}

func (p *docParser) file(f *ast.File) {
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if body != nil {
			p.add("", lineOfNode(d.Body), "only one document is allowed")
			break
		}
		body = d.Body
	}
	if body == nil {
		p.add("", 0, "the document is empty: expected a mapping with name, activities and transitions")
		return
	}
	fields, ok := p.object("", 0, body, "name", "description", "dimension", "variables", "schedule", "policy", "activities", "transitions")
	if !ok {
		return
	}
	d := p.d
	if v, ok := fields["name"]; ok {
		d.Name = p.str("name", v)
	}
	if v, ok := fields["description"]; ok {
		d.Description = p.str("description", v)
	}
	if v, ok := fields["dimension"]; ok {
		d.Dimension = p.str("dimension", v)
	}
	if v, ok := fields["variables"]; ok {
		for _, e := range p.mapping("variables", v.line, v.value) {
			path := "variables." + e.name
			d.lines[path] = e.line
			if d.Variables == nil {
				d.Variables = map[string]any{}
			}
			d.Variables[e.name] = p.value(path, e.line, e.value)
		}
	}
	if v, ok := fields["schedule"]; ok {
		d.Schedule = p.schedule("schedule", v)
	}
	if v, ok := fields["policy"]; ok {
		p.policy("policy", v)
	}
	if v, ok := fields["activities"]; ok {
		for _, e := range p.mapping("activities", v.line, v.value) {
			p.activityEntry(e)
		}
	}
	if v, ok := fields["transitions"]; ok {
		p.transitions("transitions", v)
	}
}

// mapping returns the entries of a mapping in order, reporting non-mapping
// values. Null is an empty mapping. Duplicate keys are kept: at the top of
// a settings value they are reported, and duplicate activity ids are left
// to Validate.
func (p *docParser) mapping(path string, line int, n ast.Node) []entry {
	n = unwrap(n)
	var values []*ast.MappingValueNode
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return nil
	case *ast.MappingNode:
		values = v.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{v}
	default:
		if l := lineOfNode(n); l > 0 {
			line = l
		}
		p.add(path, line, "expected a mapping, found %s", describe(n))
		return nil
	}
	var out []entry
	for _, mv := range values {
		if mv == nil {
			continue
		}
		key := unwrap(mv.Key)
		kl := lineOfNode(key)
		if kl == 0 {
			kl = lineOfNode(mv)
		}
		name, ok := scalarText(key)
		if !ok {
			p.add(path, kl, "expected a name as mapping key, found %s", describe(key))
			continue
		}
		out = append(out, entry{name: name, line: kl, value: mv.Value})
	}
	return out
}

// uniqueMapping is mapping with duplicate keys reported and dropped.
func (p *docParser) uniqueMapping(path string, line int, n ast.Node) []entry {
	var out []entry
	first := map[string]int{}
	for _, e := range p.mapping(path, line, n) {
		if fl, dup := first[e.name]; dup {
			p.add(join(path, e.name), e.line, "duplicate name %q (first at line %d)", e.name, fl)
			continue
		}
		first[e.name] = e.line
		out = append(out, e)
	}
	return out
}

// object reads a mapping whose keys are fixed field names.
func (p *docParser) object(path string, line int, n ast.Node, allowed ...string) (map[string]entry, bool) {
	n = unwrap(n)
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
	default:
		if l := lineOfNode(n); l > 0 && n != nil {
			line = l
		}
		p.add(path, line, "expected a mapping, found %s", describe(n))
		return nil, false
	}
	out := map[string]entry{}
	for _, e := range p.uniqueMapping(path, line, n) {
		if !contains(allowed, e.name) {
			p.add(join(path, e.name), e.line, "unknown field %q (valid: %s)", e.name, strings.Join(allowed, ", "))
			continue
		}
		p.d.lines[join(path, e.name)] = e.line
		out[e.name] = e
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

func describe(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.AliasNode:
		return "an alias (aliases are not supported)"
	}
	if s, ok := scalarText(n); ok {
		return fmt.Sprintf("%q", s)
	}
	return "a " + n.Type().String()
}

// scalarText returns the text of a scalar: the decoded value of a string,
// the source text of a number or boolean, "" for null.
func scalarText(n ast.Node) (string, bool) {
	switch v := unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.NullNode:
		return "", true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		tk := v.GetToken()
		if tk == nil {
			return "", false
		}
		return tk.Value, true
	}
	return "", false
}

func (p *docParser) str(path string, e entry) string {
	s, ok := scalarText(e.value)
	if !ok {
		p.add(path, e.line, "expected a string, found %s", describe(unwrap(e.value)))
	}
	return s
}

func (p *docParser) integer(path string, e entry) (int, bool) {
	if v, ok := unwrap(e.value).(*ast.IntegerNode); ok {
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
	p.add(path, e.line, "expected a small integer, found %s", describe(unwrap(e.value)))
	return 0, false
}

func (p *docParser) instant(path string, e entry) time.Time {
	s := p.str(path, e)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		p.add(path, e.line, "%q is not an RFC 3339 time such as 2026-05-01T09:00:00Z", s)
		return time.Time{}
	}
	return t
}

// value converts a settings or variables value to its JSON-friendly form,
// recording the line of every nested path.
func (p *docParser) value(path string, line int, n ast.Node) any {
	n = unwrap(n)
	if l := lineOfNode(n); l > 0 {
		line = l
	}
	if _, seen := p.d.lines[path]; !seen {
		p.d.lines[path] = line
	}
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return nil
	case *ast.MappingNode, *ast.MappingValueNode:
		m := map[string]any{}
		for _, e := range p.uniqueMapping(path, line, v) {
			ep := join(path, e.name)
			p.d.lines[ep] = e.line
			m[e.name] = p.value(ep, e.line, e.value)
		}
		return m
	case *ast.SequenceNode:
		list := make([]any, 0, len(v.Values))
		for i, x := range v.Values {
			list = append(list, p.value(index(path, i), line, x))
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
	p.add(path, line, "unsupported value: %s", describe(n))
	return nil
}

func (p *docParser) schedule(path string, e entry) *Schedule {
	s := &Schedule{}
	f, ok := p.object(path, e.line, e.value, "at", "cron", "timezone", "from", "until")
	if !ok {
		return s
	}
	if v, ok := f["at"]; ok {
		s.At = p.instant(path+".at", v)
	}
	if v, ok := f["cron"]; ok {
		s.Cron = p.str(path+".cron", v)
	}
	if v, ok := f["timezone"]; ok {
		s.TimeZone = p.str(path+".timezone", v)
	}
	if v, ok := f["from"]; ok {
		s.From = p.instant(path+".from", v)
	}
	if v, ok := f["until"]; ok {
		s.Until = p.instant(path+".until", v)
	}
	return s
}

func (p *docParser) policy(path string, e entry) {
	f, ok := p.object(path, e.line, e.value, "on_error", "retries", "retention")
	if !ok {
		return
	}
	pol := &p.d.Policy
	if v, ok := f["on_error"]; ok {
		pol.OnError = p.str(path+".on_error", v)
	}
	if v, ok := f["retries"]; ok {
		pol.Retries, _ = p.integer(path+".retries", v)
	}
	if v, ok := f["retention"]; ok {
		s := p.str(path+".retention", v)
		d, err := audience.ParseDuration(s)
		if err != nil {
			p.add(path+".retention", v.line, "%v", err)
		} else {
			pol.Retention = d
		}
	}
}

func (p *docParser) activityEntry(e entry) {
	path := "activities." + e.name
	p.activity = e.name
	defer func() { p.activity = "" }()
	if _, seen := p.d.lines[path]; !seen {
		p.d.lines[path] = e.line
	}
	a := &Activity{ID: e.name, Line: e.line, Settings: map[string]any{}}
	p.d.Activities = append(p.d.Activities, a)
	switch unwrap(e.value).(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
	default:
		p.add(path, e.line, "expected a mapping with a type and settings, found %s", describe(unwrap(e.value)))
		return
	}
	for _, s := range p.uniqueMapping(path, e.line, e.value) {
		sp := join(path, s.name)
		p.d.lines[sp] = s.line
		switch s.name {
		case "type":
			a.Type = p.str(sp, s)
		case "label":
			a.Label = p.str(sp, s)
		default:
			a.Settings[s.name] = p.value(sp, s.line, s.value)
		}
	}
}

func (p *docParser) transitions(path string, e entry) {
	n := unwrap(e.value)
	if _, null := n.(*ast.NullNode); n == nil || null {
		return
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		p.add(path, e.line, "expected a list of transitions, found %s", describe(n))
		return
	}
	for i, x := range seq.Values {
		tp := index(path, i)
		line := lineOfNode(unwrap(x))
		if line == 0 {
			line = e.line
		}
		p.d.lines[tp] = line
		t := Transition{Line: line}
		if text, ok := scalarText(x); ok {
			var err error
			t.From, t.Output, t.To, err = ParseTransition(text)
			if err != nil {
				p.add(tp, line, "%v", err)
				continue
			}
		} else {
			f, ok := p.object(tp, line, x, "from", "output", "to")
			if !ok {
				continue
			}
			for _, k := range []string{"from", "output", "to"} {
				v, ok := f[k]
				if !ok {
					continue
				}
				s := strings.TrimSpace(p.str(tp+"."+k, v))
				switch k {
				case "from":
					t.From = s
				case "output":
					t.Output = s
				case "to":
					t.To = s
				}
			}
			if t.From == "" || t.To == "" {
				p.add(tp, line, "a transition needs from and to")
				continue
			}
			if t.Output == "" {
				t.Output = PortOut
			}
		}
		p.d.Transitions = append(p.d.Transitions, t)
	}
}

// ParseTransition reads "from -> to" or "from.output -> to"; output
// defaults to "out".
func ParseTransition(s string) (from, output, to string, err error) {
	left, right, ok := strings.Cut(s, "->")
	left, right = strings.TrimSpace(left), strings.TrimSpace(right)
	if !ok || left == "" || right == "" || strings.Contains(right, "->") {
		return "", "", "", fmt.Errorf("transition %q: write \"from -> to\" or \"from.output -> to\"", s)
	}
	from, output, hasPort := strings.Cut(left, ".")
	from, output = strings.TrimSpace(from), strings.TrimSpace(output)
	if !hasPort {
		output = PortOut
	} else if from == "" || output == "" {
		return "", "", "", fmt.Errorf("transition %q: write \"from.output -> to\"", s)
	}
	return from, output, right, nil
}

package datamodel

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Parse reads a model document (YAML, or JSON, which is YAML), checks it
// and resolves reverse links. When anything is wrong it returns a
// *ValidationError listing every problem with its path and line.
func Parse(doc []byte) (*Model, error) {
	file, err := parseYAML(doc)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{syntaxProblem(err)}}
	}
	p := &docParser{lines: map[string]int{}}
	m := p.file(file)
	fillDefaultColumns(m)
	for _, pr := range m.check() {
		pr.Line = p.lineOf(pr.Path)
		p.problems = append(p.problems, pr)
	}
	if len(p.problems) > 0 {
		ps := p.problems
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
		return nil, &ValidationError{Problems: ps}
	}
	m.Resolve()
	return m, nil
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

// fillDefaultColumns gives links declared without columns the attributes
// named like the linked entity's key.
func fillDefaultColumns(m *Model) {
	for _, e := range m.Entities {
		for _, l := range e.Links {
			if len(l.Columns) == 0 {
				if t := m.Entity(l.Entity); t != nil && len(t.Key) > 0 {
					l.Columns = append([]string(nil), t.Key...)
				}
			}
		}
	}
}

type docParser struct {
	problems []Problem
	lines    map[string]int
}

func (p *docParser) add(path string, line int, format string, args ...any) {
	p.problems = append(p.problems, Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

// lineOf returns the line recorded for path or its nearest ancestor.
func (p *docParser) lineOf(path string) int {
	for {
		if l, ok := p.lines[path]; ok {
			return l
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

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

func (p *docParser) file(f *ast.File) *Model {
	m := &Model{}
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
		p.add("", 0, "the document is empty: expected a mapping with entities")
		return m
	}
	fields, ok := p.object("", 0, body, "entities")
	if !ok {
		return m
	}
	ent, ok := fields["entities"]
	if !ok {
		return m // check reports the missing entities
	}
	p.lines["entities"] = ent.line
	for _, e := range p.mapping("entities", ent.line, ent.value) {
		path := "entities." + e.name
		p.lines[path] = e.line
		m.Entities = append(m.Entities, p.entity(path, e))
	}
	return m
}

// mapping returns the entries of a mapping in order, reporting duplicate
// keys (and dropping them) and non-mapping values. Null is an empty mapping.
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
	first := map[string]int{}
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
		if fl, dup := first[name]; dup {
			p.add(join(path, name), kl, "duplicate name %q (first at line %d)", name, fl)
			continue
		}
		first[name] = kl
		out = append(out, entry{name: name, line: kl, value: mv.Value})
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
	for _, e := range p.mapping(path, line, n) {
		if !contains(allowed, e.name) {
			p.add(join(path, e.name), e.line, "unknown field %q (valid: %s)", e.name, strings.Join(allowed, ", "))
			continue
		}
		p.lines[join(path, e.name)] = e.line
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

// strList reads one string or a list of strings.
func (p *docParser) strList(path string, e entry) []string {
	seq, ok := unwrap(e.value).(*ast.SequenceNode)
	if !ok {
		s := p.str(path, e)
		if s == "" {
			return nil
		}
		return []string{s}
	}
	out := []string{}
	for _, v := range seq.Values {
		s, ok := scalarText(v)
		if !ok {
			p.add(path, lineOfNode(v), "expected a string, found %s", describe(unwrap(v)))
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil
	}
	return out
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

func (p *docParser) boolean(path string, e entry) bool {
	if v, ok := unwrap(e.value).(*ast.BoolNode); ok {
		return v.Value
	}
	p.add(path, e.line, "expected true or false, found %s", describe(unwrap(e.value)))
	return false
}

func (p *docParser) entity(path string, ent entry) *Entity {
	e := &Entity{Name: ent.name}
	f, ok := p.object(path, ent.line, ent.value, "description", "key", "attributes", "links", "targeting")
	if !ok {
		return e
	}
	if v, ok := f["description"]; ok {
		e.Description = p.str(path+".description", v)
	}
	if v, ok := f["key"]; ok {
		e.Key = p.strList(path+".key", v)
	}
	if v, ok := f["attributes"]; ok {
		for _, a := range p.mapping(path+".attributes", v.line, v.value) {
			ap := path + ".attributes." + a.name
			p.lines[ap] = a.line
			e.Attributes = append(e.Attributes, p.attribute(ap, a))
		}
	}
	if v, ok := f["links"]; ok {
		for _, l := range p.mapping(path+".links", v.line, v.value) {
			lp := path + ".links." + l.name
			p.lines[lp] = l.line
			e.Links = append(e.Links, p.link(lp, l))
		}
	}
	if v, ok := f["targeting"]; ok {
		e.Targeting = p.targeting(path+".targeting", v)
	}
	return e
}

var decimalShortRE = regexp.MustCompile(`^decimal\(\s*(\d{1,3})\s*(?:,\s*(\d{1,3})\s*)?\)$`)

// typeText reads "string" or the short form "decimal(12,2)".
func (p *docParser) typeText(a *Attribute, path string, line int, text string) (shaped bool) {
	if m := decimalShortRE.FindStringSubmatch(text); m != nil {
		a.Type = TypeDecimal
		a.Precision, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			a.Scale, _ = strconv.Atoi(m[2])
		}
		if a.Precision == 0 {
			p.add(path, line, "precision 0 is out of range 1..%d", MaxPrecision)
		}
		return true
	}
	a.Type = Type(text)
	return false
}

func (p *docParser) attribute(path string, ent entry) *Attribute {
	a := &Attribute{Name: ent.name}
	if text, ok := scalarText(ent.value); ok {
		p.lines[path+".type"] = lineOfNode(unwrap(ent.value))
		if text == "" {
			p.add(path+".type", ent.line, "a type is required (valid: %s)", validTypeList())
			a.Type = TypeString
			return a
		}
		p.typeText(a, path+".type", ent.line, text)
		return a
	}
	f, ok := p.object(path, ent.line, ent.value, "type", "precision", "scale", "values", "required", "description")
	if !ok {
		return a
	}
	shaped := false
	if v, ok := f["type"]; ok {
		shaped = p.typeText(a, path+".type", v.line, p.str(path+".type", v))
	} else {
		p.add(path+".type", ent.line, "a type is required (valid: %s)", validTypeList())
		a.Type = TypeString
	}
	for _, field := range []string{"precision", "scale"} {
		v, ok := f[field]
		if !ok {
			continue
		}
		if shaped {
			p.add(path+"."+field, v.line, "give precision and scale either in the type or as fields, not both")
			continue
		}
		n, ok := p.integer(path+"."+field, v)
		if !ok {
			continue
		}
		if field == "precision" {
			if n == 0 {
				p.add(path+".precision", v.line, "precision 0 is out of range 1..%d", MaxPrecision)
			}
			a.Precision = n
		} else {
			a.Scale = n
		}
	}
	if v, ok := f["values"]; ok {
		if _, isSeq := unwrap(v.value).(*ast.SequenceNode); !isSeq {
			p.add(path+".values", v.line, "expected a list of values, found %s", describe(unwrap(v.value)))
		} else {
			a.Values = p.strList(path+".values", v)
		}
	}
	if v, ok := f["required"]; ok {
		a.Required = p.boolean(path+".required", v)
	}
	if v, ok := f["description"]; ok {
		a.Description = p.str(path+".description", v)
	}
	return a
}

func (p *docParser) link(path string, ent entry) *Link {
	l := &Link{Name: ent.name, Kind: ManyToOne}
	f, ok := p.object(path, ent.line, ent.value, "entity", "kind", "columns", "reverse")
	if !ok {
		return l
	}
	if v, ok := f["entity"]; ok {
		l.Entity = p.str(path+".entity", v)
	}
	if v, ok := f["kind"]; ok {
		l.Kind = LinkKind(p.str(path+".kind", v))
	}
	if v, ok := f["columns"]; ok {
		l.Columns = p.strList(path+".columns", v)
	}
	if v, ok := f["reverse"]; ok {
		l.ReverseName = p.str(path+".reverse", v)
	}
	return l
}

func (p *docParser) targeting(path string, ent entry) *Targeting {
	t := &Targeting{}
	f, ok := p.object(path, ent.line, ent.value, ChannelEmail, ChannelSMS, ChannelPush)
	if !ok {
		return t
	}
	if v, ok := f[ChannelEmail]; ok {
		t.Email = p.str(path+"."+ChannelEmail, v)
	}
	if v, ok := f[ChannelSMS]; ok {
		t.SMS = p.str(path+"."+ChannelSMS, v)
	}
	if v, ok := f[ChannelPush]; ok {
		pp := path + "." + ChannelPush
		t.Push = &PushSpec{}
		pf, ok := p.object(pp, v.line, v.value, "link", "token", "platform")
		if !ok {
			return t
		}
		if x, ok := pf["link"]; ok {
			t.Push.Link = p.str(pp+".link", x)
		}
		if x, ok := pf["token"]; ok {
			t.Push.Token = p.str(pp+".token", x)
		}
		if x, ok := pf["platform"]; ok {
			t.Push.Platform = p.str(pp+".platform", x)
		}
	}
	return t
}

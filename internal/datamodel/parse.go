package datamodel

import (
	"regexp"
	"sort"
	"strconv"

	"github.com/fanfare-dev/fanfare/internal/docparse"
	"github.com/goccy/go-yaml/ast"
)

// Parse reads a model document (YAML, or JSON, which is YAML), checks it
// and resolves reverse links. When anything is wrong it returns a
// *ValidationError listing every problem with its path and line.
func Parse(doc []byte) (*Model, error) {
	file, err := docparse.ParseBytes(doc)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{docparse.SyntaxProblem(err)}}
	}
	p := newDocParser()
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
	docparse.Reader
	problems []Problem
}

func newDocParser() *docParser {
	p := &docParser{}
	p.Reader = docparse.Reader{
		Lines:  map[string]int{},
		Report: func(pr Problem) { p.problems = append(p.problems, pr) },
	}
	return p
}

// lineOf returns the line recorded for path or its nearest ancestor.
func (p *docParser) lineOf(path string) int { return docparse.Nearest(p.Lines, path, ".") }

func (p *docParser) file(f *ast.File) *Model {
	m := &Model{}
	body := p.Body(f, "the document is empty: expected a mapping with entities")
	if body == nil {
		return m
	}
	fields, ok := p.Object("", 0, body, "entities")
	if !ok {
		return m
	}
	ent, ok := fields["entities"]
	if !ok {
		return m // check reports the missing entities
	}
	p.Lines["entities"] = ent.Line
	for _, e := range p.UniqueMapping("entities", ent.Line, ent.Value) {
		path := "entities." + e.Name
		p.Lines[path] = e.Line
		m.Entities = append(m.Entities, p.entity(path, e))
	}
	return m
}

func (p *docParser) entity(path string, ent docparse.Entry) *Entity {
	e := &Entity{Name: ent.Name}
	f, ok := p.Object(path, ent.Line, ent.Value, "description", "key", "attributes", "links", "targeting")
	if !ok {
		return e
	}
	if v, ok := f["description"]; ok {
		e.Description = p.Text(path+".description", v)
	}
	if v, ok := f["key"]; ok {
		e.Key = p.TextList(path+".key", v)
	}
	if v, ok := f["attributes"]; ok {
		for _, a := range p.UniqueMapping(path+".attributes", v.Line, v.Value) {
			ap := path + ".attributes." + a.Name
			p.Lines[ap] = a.Line
			e.Attributes = append(e.Attributes, p.attribute(ap, a))
		}
	}
	if v, ok := f["links"]; ok {
		for _, l := range p.UniqueMapping(path+".links", v.Line, v.Value) {
			lp := path + ".links." + l.Name
			p.Lines[lp] = l.Line
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
			p.Add(path, line, "precision 0 is out of range 1..%d", MaxPrecision)
		}
		return true
	}
	a.Type = Type(text)
	return false
}

func (p *docParser) attribute(path string, ent docparse.Entry) *Attribute {
	a := &Attribute{Name: ent.Name}
	if text, ok := docparse.ScalarText(ent.Value); ok {
		p.Lines[path+".type"] = docparse.LineOf(docparse.Unwrap(ent.Value))
		if text == "" {
			p.Add(path+".type", ent.Line, "a type is required (valid: %s)", validTypeList())
			a.Type = TypeString
			return a
		}
		p.typeText(a, path+".type", ent.Line, text)
		return a
	}
	f, ok := p.Object(path, ent.Line, ent.Value, "type", "precision", "scale", "values", "required", "description")
	if !ok {
		return a
	}
	shaped := false
	if v, ok := f["type"]; ok {
		shaped = p.typeText(a, path+".type", v.Line, p.Text(path+".type", v))
	} else {
		p.Add(path+".type", ent.Line, "a type is required (valid: %s)", validTypeList())
		a.Type = TypeString
	}
	for _, field := range []string{"precision", "scale"} {
		v, ok := f[field]
		if !ok {
			continue
		}
		if shaped {
			p.Add(path+"."+field, v.Line, "give precision and scale either in the type or as fields, not both")
			continue
		}
		n, ok := p.Int(path+"."+field, v)
		if !ok {
			continue
		}
		if field == "precision" {
			if n == 0 {
				p.Add(path+".precision", v.Line, "precision 0 is out of range 1..%d", MaxPrecision)
			}
			a.Precision = n
		} else {
			a.Scale = n
		}
	}
	if v, ok := f["values"]; ok {
		if _, isSeq := docparse.Unwrap(v.Value).(*ast.SequenceNode); !isSeq {
			p.Add(path+".values", v.Line, "expected a list of values, found %s", docparse.Describe(docparse.Unwrap(v.Value)))
		} else {
			a.Values = p.TextList(path+".values", v)
		}
	}
	if v, ok := f["required"]; ok {
		a.Required = p.Bool(path+".required", v)
	}
	if v, ok := f["description"]; ok {
		a.Description = p.Text(path+".description", v)
	}
	return a
}

func (p *docParser) link(path string, ent docparse.Entry) *Link {
	l := &Link{Name: ent.Name, Kind: ManyToOne}
	f, ok := p.Object(path, ent.Line, ent.Value, "entity", "kind", "columns", "reverse")
	if !ok {
		return l
	}
	if v, ok := f["entity"]; ok {
		l.Entity = p.Text(path+".entity", v)
	}
	if v, ok := f["kind"]; ok {
		l.Kind = LinkKind(p.Text(path+".kind", v))
	}
	if v, ok := f["columns"]; ok {
		l.Columns = p.TextList(path+".columns", v)
	}
	if v, ok := f["reverse"]; ok {
		l.ReverseName = p.Text(path+".reverse", v)
	}
	return l
}

func (p *docParser) targeting(path string, ent docparse.Entry) *Targeting {
	t := &Targeting{}
	f, ok := p.Object(path, ent.Line, ent.Value, ChannelEmail, ChannelSMS, ChannelPush)
	if !ok {
		return t
	}
	if v, ok := f[ChannelEmail]; ok {
		t.Email = p.Text(path+"."+ChannelEmail, v)
	}
	if v, ok := f[ChannelSMS]; ok {
		t.SMS = p.Text(path+"."+ChannelSMS, v)
	}
	if v, ok := f[ChannelPush]; ok {
		pp := path + "." + ChannelPush
		t.Push = &PushSpec{}
		pf, ok := p.Object(pp, v.Line, v.Value, "link", "token", "platform", "active")
		if !ok {
			return t
		}
		if x, ok := pf["link"]; ok {
			t.Push.Link = p.Text(pp+".link", x)
		}
		if x, ok := pf["token"]; ok {
			t.Push.Token = p.Text(pp+".token", x)
		}
		if x, ok := pf["platform"]; ok {
			t.Push.Platform = p.Text(pp+".platform", x)
		}
		if x, ok := pf["active"]; ok {
			t.Push.Active = p.Text(pp+".active", x)
		}
	}
	return t
}

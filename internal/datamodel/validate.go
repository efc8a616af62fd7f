package datamodel

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxNameLength is the longest entity, attribute or link name: PostgreSQL
// truncates identifiers beyond 63 bytes.
const MaxNameLength = 63

var identRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// reservedWords are SQL keywords refused as names so that generated SQL and
// audience paths never need to care about them.
var reservedWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`select from where table order group user by join on and or not null
		true false as in is limit offset having union all distinct case when then else end create drop
		alter insert update delete into values primary key references default check column index grant`) {
		reservedWords[w] = true
	}
}

// nameProblem returns why name cannot name an entity, attribute or link, or "".
func nameProblem(name string) string {
	switch {
	case name == "":
		return "name is empty"
	case strings.HasPrefix(name, "_"):
		return fmt.Sprintf("name %q is reserved: names starting with _ are reserved for Fanfare", name)
	case !identRE.MatchString(name):
		return fmt.Sprintf("name %q is not an identifier: use a lowercase letter, then lowercase letters, digits and _", name)
	case len(name) > MaxNameLength:
		return fmt.Sprintf("name %q is longer than %d characters", name, MaxNameLength)
	case strings.HasPrefix(name, "ff_"):
		return fmt.Sprintf("name %q is reserved: names starting with ff_ are reserved for Fanfare", name)
	case reservedWords[name]:
		return fmt.Sprintf("name %q is reserved: it is an SQL keyword", name)
	}
	return ""
}

func validTypeList() string {
	s := make([]string, len(Types))
	for i, t := range Types {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// Validate checks a model built in Go with the same rules Parse applies to
// documents; problems carry no line. Reverse (Inverse) links already in the
// model are ignored: they are derived from the declarations.
func (m *Model) Validate() error {
	if ps := m.check(); len(ps) > 0 {
		return &ValidationError{Problems: ps}
	}
	return nil
}

type checker struct {
	m        *Model
	problems []Problem
}

func (c *checker) add(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) name(path, name string) {
	if msg := nameProblem(name); msg != "" {
		c.add(path, "%s", msg)
	}
}

// check returns every problem of the model, with paths but no lines.
func (m *Model) check() []Problem {
	c := &checker{m: m}
	if m == nil || len(m.Entities) == 0 {
		c.add("entities", "at least one entity is required")
		return c.problems
	}
	seen := map[string]bool{}
	for _, e := range m.Entities {
		if e == nil {
			c.add("entities", "nil entity")
			continue
		}
		path := "entities." + e.Name
		if seen[e.Name] {
			c.add(path, "duplicate entity %q", e.Name)
			continue
		}
		seen[e.Name] = true
		c.name(path, e.Name)
		c.entity(path, e)
	}
	reverses := map[string]map[string]string{} // target -> reverse name -> declaring path
	for _, e := range m.Entities {
		if e == nil {
			continue
		}
		for _, l := range e.DeclaredLinks() {
			c.link("entities."+e.Name+".links."+l.Name, e, l, reverses)
		}
	}
	for _, e := range m.Entities {
		if e != nil && e.Targeting != nil {
			c.targeting("entities."+e.Name+".targeting", e, e.Targeting)
		}
	}
	return c.problems
}

func (c *checker) entity(path string, e *Entity) {
	if !utf8.ValidString(e.Description) {
		c.add(path+".description", "not valid UTF-8")
	}
	if len(e.Attributes) == 0 {
		c.add(path+".attributes", "at least one attribute is required")
	}
	names := map[string]bool{}
	for _, a := range e.Attributes {
		if a == nil {
			c.add(path+".attributes", "nil attribute")
			continue
		}
		ap := path + ".attributes." + a.Name
		if names[a.Name] {
			c.add(ap, "duplicate attribute %q", a.Name)
			continue
		}
		names[a.Name] = true
		c.name(ap, a.Name)
		c.attribute(ap, a)
	}
	kp := path + ".key"
	if len(e.Key) == 0 {
		c.add(kp, "a key is required: one attribute name or a list of them")
	}
	inKey := map[string]bool{}
	for _, k := range e.Key {
		if inKey[k] {
			c.add(kp, "attribute %q appears twice in the key", k)
			continue
		}
		inKey[k] = true
		a := e.Attribute(k)
		switch {
		case a == nil:
			c.add(kp, "unknown attribute %q", k)
		case a.Type == TypeJSON:
			c.add(kp, "attribute %q is of type json, which cannot be part of a key", k)
		}
	}
	links := map[string]bool{}
	for _, l := range e.DeclaredLinks() {
		lp := path + ".links." + l.Name
		if links[l.Name] {
			c.add(lp, "duplicate link %q", l.Name)
			continue
		}
		links[l.Name] = true
		c.name(lp, l.Name)
		if names[l.Name] {
			c.add(lp, "link %q has the name of an attribute of %s: links and attributes share one namespace", l.Name, e.Name)
		}
	}
}

func (c *checker) attribute(path string, a *Attribute) {
	if !a.Type.Valid() {
		c.add(path+".type", "unknown type %q (valid: %s)", a.Type, validTypeList())
	}
	if !utf8.ValidString(a.Description) {
		c.add(path+".description", "not valid UTF-8")
	}
	if a.Type == TypeDecimal {
		p, s := a.DecimalShape()
		if p < 1 || p > MaxPrecision {
			c.add(path+".precision", "precision %d is out of range 1..%d", p, MaxPrecision)
		} else if s < 0 || s > p {
			c.add(path+".scale", "scale %d is out of range 0..%d (the precision)", s, p)
		}
	} else if a.Precision != 0 || a.Scale != 0 {
		c.add(path+".precision", "precision and scale apply only to decimal attributes")
	}
	if a.Type == TypeEnum {
		if len(a.Values) == 0 {
			c.add(path+".values", "an enum needs a non-empty list of values")
		}
		seen := map[string]bool{}
		for _, v := range a.Values {
			if !utf8.ValidString(v) {
				c.add(path+".values", "value %q is not valid UTF-8", v)
			}
			if seen[v] {
				c.add(path+".values", "duplicate value %q", v)
			}
			seen[v] = true
		}
	} else if len(a.Values) > 0 {
		c.add(path+".values", "values apply only to enum attributes")
	}
}

func (c *checker) link(path string, e *Entity, l *Link, reverses map[string]map[string]string) {
	if l.Kind != "" && l.Kind != ManyToOne && l.Kind != OneToOne {
		c.add(path+".kind", "unknown kind %q (valid: %s, %s)", l.Kind, ManyToOne, OneToOne)
	}
	t := c.m.Entity(l.Entity)
	if t == nil {
		if l.Entity == "" {
			c.add(path+".entity", "the linked entity is required")
		} else {
			c.add(path+".entity", "unknown entity %q", l.Entity)
		}
	} else {
		c.linkColumns(path+".columns", e, l, t)
	}
	rp := path + ".reverse"
	if l.ReverseName == "" {
		c.add(rp, "a reverse name is required: the link's name seen from %s", l.Entity)
		return
	}
	if msg := nameProblem(l.ReverseName); msg != "" {
		c.add(rp, "%s", msg)
		return
	}
	if t == nil {
		return
	}
	if t.Attribute(l.ReverseName) != nil {
		c.add(rp, "reverse name %q clashes with attribute %s.%s", l.ReverseName, t.Name, l.ReverseName)
	} else if tl := t.Link(l.ReverseName); tl != nil && !tl.Inverse {
		c.add(rp, "reverse name %q clashes with link %s.%s", l.ReverseName, t.Name, l.ReverseName)
	} else if first, ok := reverses[t.Name][l.ReverseName]; ok {
		c.add(rp, "reverse name %q is already used on %s by %s", l.ReverseName, t.Name, first)
	} else {
		if reverses[t.Name] == nil {
			reverses[t.Name] = map[string]string{}
		}
		reverses[t.Name][l.ReverseName] = path
	}
}

func (c *checker) linkColumns(path string, e *Entity, l *Link, t *Entity) {
	if len(l.Columns) == 0 {
		c.add(path, "no columns: list the attributes of %s holding the key of %s", e.Name, t.Name)
		return
	}
	if len(t.Key) == 0 {
		return // reported on the target
	}
	if len(l.Columns) != len(t.Key) {
		c.add(path, "%d columns for the %d-attribute key of %s (%s)", len(l.Columns), len(t.Key), t.Name, strings.Join(t.Key, ", "))
		return
	}
	for i, col := range l.Columns {
		a := e.Attribute(col)
		if a == nil {
			c.add(path, "unknown attribute %q of %s", col, e.Name)
			continue
		}
		k := t.Attribute(t.Key[i])
		if k == nil {
			continue
		}
		if a.SQLType() != k.SQLType() {
			c.add(path, "attribute %s.%s is %s but key attribute %s.%s is %s: key types must match across a link",
				e.Name, col, a.SQLType(), t.Name, k.Name, k.SQLType())
		}
	}
}

func (c *checker) targeting(path string, e *Entity, tg *Targeting) {
	if tg.Email == "" && tg.SMS == "" && tg.Push == nil {
		c.add(path, "targeting names no channel: give email, sms or push")
	}
	c.stringAttr(path+"."+ChannelEmail, e, tg.Email)
	c.stringAttr(path+"."+ChannelSMS, e, tg.SMS)
	if tg.Push == nil {
		return
	}
	pp := path + "." + ChannelPush
	p := tg.Push
	if p.Link == "" {
		c.add(pp+".link", "a link is required: the one-to-many link to the entity holding device tokens")
		return
	}
	var devices *Entity
	for _, o := range c.m.Entities {
		if o == nil {
			continue
		}
		for _, l := range o.DeclaredLinks() {
			if l.Entity == e.Name && l.ReverseName == p.Link {
				if l.Kind == OneToOne {
					c.add(pp+".link", "link %q is one-to-one; push needs a one-to-many link", p.Link)
					return
				}
				devices = o
			}
		}
	}
	if devices == nil {
		if l := e.Link(p.Link); l != nil && !l.Inverse {
			c.add(pp+".link", "link %q is declared on %s (many-to-one); push needs a one-to-many reverse link", p.Link, e.Name)
		} else {
			c.add(pp+".link", "unknown link %q: push needs the reverse name of a many-to-one link to %s", p.Link, e.Name)
		}
		return
	}
	if p.Token == "" {
		c.add(pp+".token", "the token attribute is required")
	} else if a := devices.Attribute(p.Token); a == nil {
		c.add(pp+".token", "unknown attribute %q of %s", p.Token, devices.Name)
	} else if a.Type != TypeString {
		c.add(pp+".token", "attribute %s.%s is %s; a push token must be a string", devices.Name, p.Token, a.Type)
	}
	if p.Platform != "" {
		if a := devices.Attribute(p.Platform); a == nil {
			c.add(pp+".platform", "unknown attribute %q of %s", p.Platform, devices.Name)
		} else if a.Type != TypeString && a.Type != TypeEnum {
			c.add(pp+".platform", "attribute %s.%s is %s; a platform must be a string or an enum", devices.Name, p.Platform, a.Type)
		}
	}
	if p.Active != "" {
		if a := devices.Attribute(p.Active); a == nil {
			c.add(pp+".active", "unknown attribute %q of %s", p.Active, devices.Name)
		} else if a.Type != TypeBoolean {
			c.add(pp+".active", "attribute %s.%s is %s; active must be a boolean", devices.Name, p.Active, a.Type)
		}
	}
}

func (c *checker) stringAttr(path string, e *Entity, name string) {
	if name == "" {
		return
	}
	a := e.Attribute(name)
	if a == nil {
		c.add(path, "unknown attribute %q of %s", name, e.Name)
	} else if a.Type != TypeString {
		c.add(path, "attribute %s.%s is %s; it must be a string", e.Name, name, a.Type)
	}
}

// Resolve normalises declared links (an empty kind becomes many_to_one) and
// rebuilds the reverse side of every declared link on its target entity.
// Parse calls it; call it yourself on a model built in Go after Validate.
func (m *Model) Resolve() {
	for _, e := range m.Entities {
		e.Links = e.DeclaredLinks()
		for _, l := range e.Links {
			if l.Kind == "" {
				l.Kind = ManyToOne
			}
		}
	}
	for _, e := range m.Entities {
		for _, l := range e.DeclaredLinks() {
			t := m.Entity(l.Entity)
			if t == nil {
				continue
			}
			kind := OneToMany
			if l.Kind == OneToOne {
				kind = OneToOne
			}
			t.Links = append(t.Links, &Link{
				Name:        l.ReverseName,
				Entity:      e.Name,
				Kind:        kind,
				Columns:     append([]string(nil), l.Columns...),
				ReverseName: l.Name,
				Inverse:     true,
			})
		}
	}
}

// Reverse returns, for a reverse (Inverse) link, the declared link it
// mirrors; for a declared link, its reverse on the target. Nil if none.
func (m *Model) Reverse(from *Entity, l *Link) *Link {
	t := m.Entity(l.Entity)
	if t == nil {
		return nil
	}
	for _, o := range t.Links {
		if o.Name == l.ReverseName && o.Inverse != l.Inverse && o.Entity == from.Name {
			return o
		}
	}
	return nil
}

// IsRequired reports whether the named attribute must hold a value: it is
// declared required or is part of the key.
func (e *Entity) IsRequired(name string) bool {
	if e.IsKey(name) {
		return true
	}
	a := e.Attribute(name)
	return a != nil && a.Required
}

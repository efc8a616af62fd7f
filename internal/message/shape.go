package message

import (
	"sort"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// shape describes what a template may read: the profile as the data model
// lays it out, the run's columns and the variables. Compile checks every
// path a template names against it and renders the templates over a sample
// built from it.
type shape struct {
	kind   shapeKind
	fields map[string]*shape // object
	elem   *shape            // array
	attr   *datamodel.Attribute
	// toOne is the path of to-one links that reaches this object: from the
	// profile ("store.region"), or from a row of the many link.
	toOne string
	// many names the one-to-many link of the profile this node belongs to.
	many string
}

type shapeKind int

const (
	kindObject shapeKind = iota
	kindArray
	kindScalar
	kindAny
)

// Depths of the profile shape: to-one links are followed this many hops
// from the profile, and one from the rows of a one-to-many link.
const (
	profileToOneDepth = 3
	rowToOneDepth     = 1
)

// profileShape lays out the dimension: its attributes, its to-one links as
// nested objects and its one-to-many links as lists of rows.
func profileShape(m *datamodel.Model, e *datamodel.Entity) *shape {
	return entityShape(m, e, profileToOneDepth, true, "", "")
}

func entityShape(m *datamodel.Model, e *datamodel.Entity, depth int, withMany bool, toOne, many string) *shape {
	s := &shape{kind: kindObject, fields: map[string]*shape{}, toOne: toOne, many: many}
	for _, a := range e.Attributes {
		s.fields[a.Name] = &shape{kind: kindScalar, attr: a}
	}
	for _, l := range e.Links {
		target := m.Entity(l.Entity)
		if target == nil {
			continue
		}
		if l.Inverse && l.Kind == datamodel.OneToMany {
			if withMany {
				row := entityShape(m, target, rowToOneDepth, false, "", l.Name)
				s.fields[l.Name] = &shape{kind: kindArray, elem: row, many: l.Name}
			}
			continue
		}
		if depth > 0 {
			s.fields[l.Name] = entityShape(m, target, depth-1, false, joinPath(toOne, l.Name), many)
		}
	}
	return s
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// rootShapes returns the top-level names a template may use.
func rootShapes(m *datamodel.Model, dim *datamodel.Entity, env Env) map[string]*shape {
	target := &shape{kind: kindObject, fields: map[string]*shape{}}
	for _, c := range env.Target {
		target.fields[c] = &shape{kind: kindScalar, attr: targetAttr(env, c)}
	}
	if env.anyTarget {
		target = &shape{kind: kindAny}
	}
	vars := &shape{kind: kindObject, fields: map[string]*shape{}}
	for k, v := range env.Vars {
		switch v.(type) {
		case map[string]any, []any:
			vars.fields[k] = &shape{kind: kindAny}
		default:
			vars.fields[k] = &shape{kind: kindScalar}
		}
	}
	scalar := func() *shape { return &shape{kind: kindScalar} }
	return map[string]*shape{
		"profile":  profileShape(m, dim),
		"target":   target,
		"vars":     vars,
		"campaign": {kind: kindObject, fields: map[string]*shape{"name": scalar()}},
		"run":      {kind: kindObject, fields: map[string]*shape{"id": scalar(), "mode": scalar()}},
		// The signed unsubscribe link of a marketing email.
		"unsubscribe_url": scalar(),
	}
}

// targetAttr describes an enrichment column for samples: typed when its
// type is known, a string otherwise.
func targetAttr(env Env, col string) *datamodel.Attribute {
	if t, ok := env.TargetTypes[col]; ok {
		return &datamodel.Attribute{Name: col, Type: t, Precision: 18, Scale: 2}
	}
	return nil
}

// sampleContext builds the context Compile renders templates over: every
// attribute with a value of its type, two rows per one-to-many link.
func sampleContext(roots map[string]*shape, env Env) Context {
	c := Context{}
	for name, s := range roots {
		c[name] = sampleOf(s, 0)
	}
	vars := map[string]any{}
	for k, v := range env.Vars {
		vars[k] = v
	}
	c["vars"] = vars
	if env.anyTarget {
		c["target"] = map[string]any{}
	} else {
		target := map[string]any{}
		for _, col := range env.Target {
			if a := targetAttr(env, col); a != nil {
				target[col] = sampleScalar(a, 0)
			} else {
				target[col] = col
			}
		}
		c["target"] = target
	}
	c["unsubscribe_url"] = "https://fanfare.example.com/u/sample"
	c["campaign"] = map[string]any{"name": orDefault(env.Campaign, "Sample campaign")}
	c["run"] = map[string]any{"id": env.RunID, "mode": orDefault(env.Mode, "test")}
	return c
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func sampleOf(s *shape, variant int) any {
	switch s.kind {
	case kindObject:
		out := make(map[string]any, len(s.fields))
		for k, f := range s.fields {
			out[k] = sampleOf(f, variant)
		}
		return out
	case kindArray:
		return []any{sampleOf(s.elem, 0), sampleOf(s.elem, 1)}
	case kindAny:
		return map[string]any{}
	}
	return sampleScalar(s.attr, variant)
}

// sampleScalar returns a plausible value of an attribute's type; variant 1
// differs from 0 so sorting and comparing samples means something.
func sampleScalar(a *datamodel.Attribute, variant int) any {
	if a == nil {
		return "sample"
	}
	switch a.Type {
	case datamodel.TypeInteger:
		return []int64{42, 7}[variant]
	case datamodel.TypeDecimal:
		return []float64{1234.5, 89.9}[variant]
	case datamodel.TypeBoolean:
		return variant == 0
	case datamodel.TypeDate:
		return []time.Time{time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC)}[variant]
	case datamodel.TypeTimestamp:
		return []time.Time{time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC), time.Date(2025, 11, 2, 18, 5, 0, 0, time.UTC)}[variant]
	case datamodel.TypeEnum:
		if len(a.Values) == 0 {
			return ""
		}
		return a.Values[variant%len(a.Values)]
	case datamodel.TypeJSON:
		return map[string]any{}
	}
	if strings.Contains(a.Name, "email") {
		return "alex.martin@example.com"
	}
	return strings.ToUpper(a.Name[:1]) + strings.ReplaceAll(a.Name[1:], "_", " ")
}

// Needs says which linked data templates read, so a Loader fetches only
// that. The profile's attributes are always loaded.
type Needs struct {
	// ToOne lists to-one link paths from the dimension ("store",
	// "store.region"), prefixes included.
	ToOne []string `json:"to_one,omitempty"`
	// Many lists the one-to-many links read, with what their rows need.
	Many []ManyNeed `json:"many,omitempty"`
}

// ManyNeed is one one-to-many link of the dimension whose rows a template
// reads.
type ManyNeed struct {
	Link string `json:"link"`
	// ToOne lists the to-one links of the rows read ("product").
	ToOne []string `json:"to_one,omitempty"`
	// Order is an attribute path of the linked entity with an optional
	// direction ("purchased_at desc"); default the linked key, descending.
	Order string `json:"order,omitempty"`
	// Limit keeps the first rows per recipient in that order (0: all).
	Limit int `json:"limit,omitempty"`
}

// Empty reports whether nothing beyond the profile's attributes is needed.
func (n Needs) Empty() bool { return len(n.ToOne) == 0 && len(n.Many) == 0 }

// SetOrder sets the order and limit of a one-to-many need, so "the last
// three purchases" loads three rows per recipient. It reports whether the
// templates read that link at all.
func (n *Needs) SetOrder(link, order string, limit int) bool {
	for i := range n.Many {
		if n.Many[i].Link == link {
			n.Many[i].Order, n.Many[i].Limit = order, limit
			return true
		}
	}
	return false
}

func (n *Needs) addToOne(path string) {
	parts := strings.Split(path, ".")
	for i := range parts {
		n.ToOne = addSorted(n.ToOne, strings.Join(parts[:i+1], "."))
	}
}

func (n *Needs) many(link string) *ManyNeed {
	for i := range n.Many {
		if n.Many[i].Link == link {
			return &n.Many[i]
		}
	}
	n.Many = append(n.Many, ManyNeed{Link: link})
	sort.Slice(n.Many, func(i, j int) bool { return n.Many[i].Link < n.Many[j].Link })
	return n.many(link)
}

// record notes that a template reaches node s.
func (n *Needs) record(s *shape) {
	switch {
	case s.many != "" && s.toOne != "":
		mn := n.many(s.many)
		parts := strings.Split(s.toOne, ".")
		for i := range parts {
			mn.ToOne = addSorted(mn.ToOne, strings.Join(parts[:i+1], "."))
		}
	case s.many != "":
		n.many(s.many)
	case s.toOne != "":
		n.addToOne(s.toOne)
	}
}

func addSorted(list []string, s string) []string {
	i := sort.SearchStrings(list, s)
	if i < len(list) && list[i] == s {
		return list
	}
	list = append(list, "")
	copy(list[i+1:], list[i:])
	list[i] = s
	return list
}

package schema

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Kinds of Change.
const (
	CreateEntity    = "create_entity"
	DropEntity      = "drop_entity"
	AddAttribute    = "add_attribute"
	DropAttribute   = "drop_attribute"
	ChangeType      = "change_type"
	ChangeKey       = "change_key"
	AddLink         = "add_link"
	DropLink        = "drop_link"
	ChangeLink      = "change_link"
	ChangeTargeting = "change_targeting"
	// UpdateModel covers changes with no effect on the tables: descriptions,
	// enum values, required flags.
	UpdateModel = "update_model"
)

// Change is one step of a Plan.
type Change struct {
	Kind      string `json:"kind"`
	Entity    string `json:"entity"`
	Attribute string `json:"attribute,omitempty"` // the attribute or link concerned, if any
	// Destructive changes can lose data (dropping an entity or attribute)
	// or fail on existing data (changing a type or a key).
	Destructive bool   `json:"destructive"`
	Description string `json:"description"`
	// SQL runs in order; it may be empty for changes to the model alone.
	SQL []string `json:"sql,omitempty"`
	// Loss says what would be lost; Apply fills it in for destructive
	// changes by counting rows and values.
	Loss string `json:"loss,omitempty"`
}

// Plan is the ordered list of changes that takes a store from one model to
// another.
type Plan struct {
	Changes []Change
}

// Destructive returns the destructive changes of the plan.
func (p Plan) Destructive() []Change {
	var out []Change
	for _, c := range p.Changes {
		if c.Destructive {
			out = append(out, c)
		}
	}
	return out
}

// Summary describes the plan in one line.
func (p Plan) Summary() string {
	if len(p.Changes) == 0 {
		return "no changes"
	}
	parts := make([]string, len(p.Changes))
	for i, c := range p.Changes {
		parts[i] = c.Description
	}
	s := strings.Join(parts, "; ")
	if len(s) > 1000 {
		s = s[:997] + "..."
	}
	return s
}

// Diff plans the changes from old (nil for an empty store) to new for the
// dialect d. Both models must be valid.
func Diff(old, new *datamodel.Model, d store.Dialect) Plan {
	sc := store.SchemaFor(d)
	if old == nil {
		old = &datamodel.Model{}
	}
	var p Plan
	add := func(c Change) { p.Changes = append(p.Changes, c) }

	for _, oe := range old.Entities {
		if new.Entity(oe.Name) == nil {
			add(Change{Kind: DropEntity, Entity: oe.Name, Destructive: true,
				Description: "drop entity " + oe.Name,
				SQL:         []string{sc.DropTable(oe.Name)}})
		}
	}
	for _, ne := range new.Entities {
		oe := old.Entity(ne.Name)
		if oe == nil {
			add(Change{Kind: CreateEntity, Entity: ne.Name,
				Description: "create entity " + ne.Name,
				SQL:         sc.CreateTable(ne)})
			continue
		}
		for _, c := range diffEntity(oe, ne, sc) {
			add(c)
		}
	}
	if len(p.Changes) == 0 && len(old.Entities) > 0 && string(datamodel.Document(old)) != string(datamodel.Document(new)) {
		// Only the order of entities or attributes changed.
		add(Change{Kind: UpdateModel, Description: "reorder entities or attributes"})
	}
	return p
}

// diffLinks returns the changes of an entity's links: those that go first
// (dropped links and the indexes of changed links, so that no index
// depends on a column being dropped or retyped when it is removed), and
// the index creations that go last.
func diffLinks(oe, ne *datamodel.Entity, sc store.Schema) (out, createIdx []Change) {
	oldLinks, newLinks := oe.DeclaredLinks(), ne.DeclaredLinks()
	for _, ol := range oldLinks {
		nl := ne.Link(ol.Name)
		if nl != nil && !nl.Inverse {
			if slices.Equal(ol.Columns, nl.Columns) {
				if ol.Entity != nl.Entity || ol.Kind != nl.Kind || ol.ReverseName != nl.ReverseName {
					out = append(out, Change{Kind: ChangeLink, Entity: ne.Name, Attribute: nl.Name,
						Description: fmt.Sprintf("change link %s.%s to %s", ne.Name, nl.Name, nl)})
				}
				continue
			}
			c := Change{Kind: ChangeLink, Entity: ne.Name, Attribute: nl.Name,
				Description: fmt.Sprintf("change link %s.%s to %s", ne.Name, nl.Name, nl)}
			c.SQL = append(sc.DropLinkIndex(ne.Name, ol), sc.CreateLinkIndex(ne.Name, nl)...)
			createIdx = append(createIdx, c)
			continue
		}
		c := Change{Kind: DropLink, Entity: ne.Name, Attribute: ol.Name,
			Description: fmt.Sprintf("drop link %s.%s", ne.Name, ol.Name)}
		c.SQL = sc.DropLinkIndex(ne.Name, ol)
		out = append(out, c)
	}
	for _, nl := range newLinks {
		if ol := oe.Link(nl.Name); ol != nil && !ol.Inverse {
			continue
		}
		c := Change{Kind: AddLink, Entity: ne.Name, Attribute: nl.Name,
			Description: fmt.Sprintf("add link %s.%s", ne.Name, nl)}
		c.SQL = sc.CreateLinkIndex(ne.Name, nl)
		createIdx = append(createIdx, c)
	}
	// Index drops of changed links run first, their creation last.
	for i := range createIdx {
		if createIdx[i].Kind == ChangeLink && len(createIdx[i].SQL) == 2 {
			out = append(out, Change{Kind: ChangeLink, Entity: ne.Name, Attribute: createIdx[i].Attribute,
				Description: fmt.Sprintf("drop index of link %s.%s", ne.Name, createIdx[i].Attribute),
				SQL:         createIdx[i].SQL[:1]})
			createIdx[i].SQL = createIdx[i].SQL[1:]
		}
	}
	return out, createIdx
}

func diffEntity(oe, ne *datamodel.Entity, sc store.Schema) []Change {
	out, createIdx := diffLinks(oe, ne, sc)
	keyChanged := !slices.Equal(oe.Key, ne.Key)
	for _, oa := range oe.Attributes {
		if ne.Attribute(oa.Name) == nil {
			out = append(out, Change{Kind: DropAttribute, Entity: ne.Name, Attribute: oa.Name, Destructive: true,
				Description: fmt.Sprintf("drop attribute %s.%s", ne.Name, oa.Name),
				SQL:         []string{sc.DropColumn(ne.Name, oa.Name)}})
		}
	}
	for _, na := range ne.Attributes {
		oa := oe.Attribute(na.Name)
		if oa == nil {
			out = append(out, Change{Kind: AddAttribute, Entity: ne.Name, Attribute: na.Name,
				Description: fmt.Sprintf("add attribute %s.%s %s", ne.Name, na.Name, na.SQLType()),
				SQL:         []string{sc.AddColumn(ne.Name, na)}})
			continue
		}
		if sc.ColumnType(oa) != sc.ColumnType(na) {
			out = append(out, Change{Kind: ChangeType, Entity: ne.Name, Attribute: na.Name, Destructive: true,
				Description: fmt.Sprintf("change type of %s.%s from %s to %s", ne.Name, na.Name, oa.SQLType(), na.SQLType()),
				SQL:         []string{sc.RetypeColumn(ne.Name, na)}})
		} else if !attributeEqual(oa, na) {
			out = append(out, Change{Kind: UpdateModel, Entity: ne.Name, Attribute: na.Name,
				Description: fmt.Sprintf("update attribute %s.%s", ne.Name, na.Name)})
		}
	}
	if keyChanged {
		stmts := sc.ChangeKey(ne, oe.Key)
		out = append(out, Change{Kind: ChangeKey, Entity: ne.Name, Destructive: true,
			Description: fmt.Sprintf("change key of %s from (%s) to (%s)", ne.Name, strings.Join(oe.Key, ", "), strings.Join(ne.Key, ", ")),
			SQL:         stmts})
	}
	out = append(out, createIdx...)
	if !targetingEqual(oe.Targeting, ne.Targeting) {
		out = append(out, Change{Kind: ChangeTargeting, Entity: ne.Name,
			Description: "change targeting of " + ne.Name})
	}
	if oe.Description != ne.Description {
		out = append(out, Change{Kind: UpdateModel, Entity: ne.Name,
			Description: "update entity " + ne.Name})
	}
	return out
}

func attributeEqual(a, b *datamodel.Attribute) bool {
	return a.Type == b.Type && a.Precision == b.Precision && a.Scale == b.Scale &&
		slices.Equal(a.Values, b.Values) && a.Required == b.Required && a.Description == b.Description
}

func targetingEqual(a, b *datamodel.Targeting) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Email != b.Email || a.SMS != b.SMS {
		return false
	}
	if a.Push == nil || b.Push == nil {
		return a.Push == b.Push
	}
	return *a.Push == *b.Push
}

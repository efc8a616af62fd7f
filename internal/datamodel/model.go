package datamodel

import (
	"fmt"
	"strings"
)

// Type is the type of an attribute.
type Type string

// The attribute types a data model may use.
const (
	TypeString    Type = "string"
	TypeInteger   Type = "integer"
	TypeDecimal   Type = "decimal"
	TypeBoolean   Type = "boolean"
	TypeDate      Type = "date"
	TypeTimestamp Type = "timestamp"
	TypeEnum      Type = "enum"
	TypeJSON      Type = "json"
)

// Types lists every valid attribute type, in documentation order.
var Types = []Type{TypeString, TypeInteger, TypeDecimal, TypeBoolean, TypeDate, TypeTimestamp, TypeEnum, TypeJSON}

// Valid reports whether t is one of the known types.
func (t Type) Valid() bool {
	for _, k := range Types {
		if k == t {
			return true
		}
	}
	return false
}

// Default precision and scale of a decimal attribute declared without them.
const (
	DefaultPrecision = 18
	DefaultScale     = 2
	MaxPrecision     = 38
)

// LinkKind says how many rows a link reaches.
type LinkKind string

// The kinds of links. ManyToOne and OneToOne are declared on the entity that
// holds the key columns; OneToMany is the reverse side of ManyToOne.
const (
	ManyToOne LinkKind = "many_to_one"
	OneToOne  LinkKind = "one_to_one"
	OneToMany LinkKind = "one_to_many"
)

// Channels a targeting dimension may address.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
	ChannelPush  = "push"
)

// Model is a user's relational data model: entities, their attributes and
// links, and which entities can receive messages.
type Model struct {
	Entities []*Entity `json:"entities"`
}

// Entity is one table of customer data.
type Entity struct {
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Attributes  []*Attribute `json:"attributes"`
	Key         []string     `json:"key"`
	Links       []*Link      `json:"links,omitempty"`
	Targeting   *Targeting   `json:"targeting,omitempty"`
}

// Attribute is one typed column of an entity.
type Attribute struct {
	Name        string   `json:"name"`
	Type        Type     `json:"type"`
	Precision   int      `json:"precision,omitempty"`
	Scale       int      `json:"scale,omitempty"`
	Values      []string `json:"values,omitempty"`
	Required    bool     `json:"required,omitempty"`
	Description string   `json:"description,omitempty"`
}

// Link joins an entity to another through key columns. Declared links are
// many-to-one or one-to-one; Resolve adds the reverse side to the target
// entity with kind OneToMany (or OneToOne) and Reverse set.
type Link struct {
	Name string `json:"name"`
	// Entity is the name of the linked entity.
	Entity string   `json:"entity"`
	Kind   LinkKind `json:"kind"`
	// Columns are the attributes of this entity that hold the target's key,
	// in the order of the target's key.
	Columns []string `json:"columns"`
	// ReverseName names the link seen from the target entity.
	ReverseName string `json:"reverse"`
	// Inverse is true for a link that Resolve derived from another entity's
	// declaration; its Columns are then the target's columns.
	Inverse bool `json:"-"`
}

// Targeting says which attribute (or linked entity) addresses each channel.
type Targeting struct {
	Email string    `json:"email,omitempty"`
	SMS   string    `json:"sms,omitempty"`
	Push  *PushSpec `json:"push,omitempty"`
}

// PushSpec locates push tokens in a linked (usually one-to-many) entity.
type PushSpec struct {
	Link     string `json:"link"`
	Token    string `json:"token"`
	Platform string `json:"platform,omitempty"`
	// Active, a boolean attribute of the device, marks devices that may
	// receive pushes; a device whose Active is false is excluded.
	Active string `json:"active,omitempty"`
}

// Entity returns the named entity, or nil.
func (m *Model) Entity(name string) *Entity {
	if m == nil {
		return nil
	}
	for _, e := range m.Entities {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Attribute returns the named attribute, or nil.
func (e *Entity) Attribute(name string) *Attribute {
	for _, a := range e.Attributes {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Link returns the named link (declared or reverse), or nil.
func (e *Entity) Link(name string) *Link {
	for _, l := range e.Links {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// KeyAttributes returns the attributes of the primary key in key order.
func (e *Entity) KeyAttributes() []*Attribute {
	out := make([]*Attribute, 0, len(e.Key))
	for _, k := range e.Key {
		if a := e.Attribute(k); a != nil {
			out = append(out, a)
		}
	}
	return out
}

// IsKey reports whether the named attribute is part of the primary key.
func (e *Entity) IsKey(name string) bool {
	for _, k := range e.Key {
		if k == name {
			return true
		}
	}
	return false
}

// DeclaredLinks returns the links this entity declares (not reverse ones).
func (e *Entity) DeclaredLinks() []*Link {
	var out []*Link
	for _, l := range e.Links {
		if !l.Inverse {
			out = append(out, l)
		}
	}
	return out
}

// SQLType describes the attribute's type in a dialect-neutral way, such as
// "decimal(12,2)"; dialects map it to their own names.
func (a *Attribute) SQLType() string {
	if a.Type == TypeDecimal {
		return fmt.Sprintf("decimal(%d,%d)", a.precision(), a.scale())
	}
	return string(a.Type)
}

func (a *Attribute) precision() int {
	if a.Precision == 0 {
		return DefaultPrecision
	}
	return a.Precision
}

func (a *Attribute) scale() int {
	if a.Precision == 0 && a.Scale == 0 {
		return DefaultScale
	}
	return a.Scale
}

// DecimalShape returns the precision and scale of a decimal attribute with
// defaults applied.
func (a *Attribute) DecimalShape() (precision, scale int) { return a.precision(), a.scale() }

// LoadOrder returns the entities ordered so that every entity comes after
// the entities its declared links point to (self-links and cycles are
// broken in declaration order).
func (m *Model) LoadOrder() []*Entity {
	seen := map[string]int{} // 0 new, 1 visiting, 2 done
	var out []*Entity
	var visit func(e *Entity)
	visit = func(e *Entity) {
		if seen[e.Name] != 0 {
			return
		}
		seen[e.Name] = 1
		for _, l := range e.DeclaredLinks() {
			if t := m.Entity(l.Entity); t != nil && t != e {
				visit(t)
			}
		}
		seen[e.Name] = 2
		out = append(out, e)
	}
	for _, e := range m.Entities {
		visit(e)
	}
	return out
}

// String renders a short description, handy in errors and logs.
func (l *Link) String() string {
	return fmt.Sprintf("%s -> %s (%s on %s)", l.Name, l.Entity, l.Kind, strings.Join(l.Columns, ","))
}

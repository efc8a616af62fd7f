package audience

import (
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// Hop is one step along a link, with the columns that join the two sides:
// From.FromCols[i] = To.ToCols[i].
type Hop struct {
	Link     *datamodel.Link
	From, To *datamodel.Entity
	FromCols []string
	ToCols   []string
	// Many is true when the step can reach several rows (one-to-many).
	Many bool
}

// hopFor describes following link l out of entity from.
func hopFor(m *datamodel.Model, from *datamodel.Entity, l *datamodel.Link) (Hop, error) {
	to := m.Entity(l.Entity)
	if to == nil {
		return Hop{}, fmt.Errorf("link %s points at unknown entity %s", l.Name, l.Entity)
	}
	h := Hop{Link: l, From: from, To: to}
	if l.Inverse {
		// Reverse side: the key columns live on the other entity.
		h.FromCols, h.ToCols = from.Key, l.Columns
		h.Many = l.Kind == datamodel.OneToMany
	} else {
		h.FromCols, h.ToCols = l.Columns, to.Key
	}
	return h, nil
}

// ResolveAttr resolves an attribute path such as "product.brand.country"
// from an entity: every step before the attribute must be a link that
// reaches at most one row.
func ResolveAttr(m *datamodel.Model, from *datamodel.Entity, path string) ([]Hop, *datamodel.Attribute, error) {
	parts := strings.Split(path, ".")
	cur := from
	var hops []Hop
	for i, p := range parts {
		last := i == len(parts)-1
		if last {
			if a := cur.Attribute(p); a != nil {
				return hops, a, nil
			}
			if cur.Link(p) != nil {
				return nil, nil, fmt.Errorf("%q is a link of %s, not an attribute", p, cur.Name)
			}
			return nil, nil, fmt.Errorf("%s has no attribute %q", cur.Name, p)
		}
		l := cur.Link(p)
		if l == nil {
			return nil, nil, fmt.Errorf("%s has no link %q", cur.Name, p)
		}
		h, err := hopFor(m, cur, l)
		if err != nil {
			return nil, nil, err
		}
		if h.Many {
			return nil, nil, fmt.Errorf("%s.%s is one-to-many: use a link condition (exists, count, sum…) to look at %s", cur.Name, p, h.To.Name)
		}
		hops = append(hops, h)
		cur = h.To
	}
	return nil, nil, fmt.Errorf("empty attribute path")
}

// ResolveLink resolves a link path such as "purchases" or
// "household.members": links that reach at most one row, then one
// one-to-many link.
func ResolveLink(m *datamodel.Model, from *datamodel.Entity, path string) (toOne []Hop, many Hop, err error) {
	parts := strings.Split(path, ".")
	cur := from
	for i, p := range parts {
		l := cur.Link(p)
		if l == nil {
			if cur.Attribute(p) != nil {
				return nil, Hop{}, fmt.Errorf("%q is an attribute of %s, not a link", p, cur.Name)
			}
			return nil, Hop{}, fmt.Errorf("%s has no link %q", cur.Name, p)
		}
		h, err := hopFor(m, cur, l)
		if err != nil {
			return nil, Hop{}, err
		}
		if i == len(parts)-1 {
			if !h.Many {
				return nil, Hop{}, fmt.Errorf("%s.%s reaches one %s: compare its attributes directly (%s.<attribute>)", cur.Name, p, h.To.Name, path)
			}
			return toOne, h, nil
		}
		if h.Many {
			return nil, Hop{}, fmt.Errorf("%s.%s is one-to-many: nest a link condition instead of a path through it", cur.Name, p)
		}
		toOne = append(toOne, h)
		cur = h.To
	}
	return nil, Hop{}, fmt.Errorf("empty link path")
}

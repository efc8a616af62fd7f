package engine

import (
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// changeDimension follows a path of to-one links from every row and keeps
// the distinct rows of the new dimension reached; rows whose link is empty
// (or points at a missing row) reach nothing.
func changeDimension(v *env) ([]output, error) {
	var s campaign.ChangeDimension
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	in, err := v.population()
	if err != nil {
		return nil, err
	}
	from, err := v.entity(in.Dimension)
	if err != nil {
		return nil, err
	}
	to, err := v.followToOne(from, s.Link)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(to.Key))
	for i, k := range to.Key {
		paths[i] = s.Link + "." + k
	}
	view, err := v.dimView(from.Name, "", paths)
	if err != nil {
		return nil, err
	}
	keys := quoteAll(from.Key)
	sel := make([]string, len(to.Key))
	notNull := make([]string, len(to.Key))
	for i, k := range to.Key {
		sel[i] = "d." + viewCol(i) + " AS " + store.Quote(k)
		notNull[i] = "d." + viewCol(i) + " IS NOT NULL"
	}
	table := v.table("out")
	query := "SELECT DISTINCT " + strings.Join(sel, ", ") + " FROM " + store.Quote(in.Table) + " w JOIN (" + view.sql + ") d ON " +
		keyJoin("w", "d", keys) + " WHERE " + strings.Join(notNull, " AND ")
	if err := v.createAs(table, query, view.args...); err != nil {
		return nil, err
	}
	return []output{{Port: "out", Table: table, Dimension: to.Name}}, nil
}

// followToOne follows a dotted path of many-to-one and one-to-one links.
func (v *env) followToOne(from *datamodel.Entity, path string) (*datamodel.Entity, error) {
	cur := from
	for _, p := range strings.Split(path, ".") {
		l := cur.Link(p)
		if l == nil {
			return nil, fmt.Errorf("%s: %s has no link %q", v.act.ID, cur.Name, p)
		}
		if l.Kind == datamodel.OneToMany {
			return nil, fmt.Errorf("%s: %s.%s is one-to-many: change_dimension follows many-to-one and one-to-one links", v.act.ID, cur.Name, p)
		}
		next := v.st.model.Entity(l.Entity)
		if next == nil {
			return nil, fmt.Errorf("%s: link %s points at unknown entity %s", v.act.ID, p, l.Entity)
		}
		cur = next
	}
	return cur, nil
}

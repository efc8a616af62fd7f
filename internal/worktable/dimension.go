package worktable

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ChangeDimension follows a path of to-one links from every row and keeps
// the distinct rows of the new dimension reached; rows whose link is empty
// (or points at a missing row) reach nothing.
func (c *Compiler) ChangeDimension(s campaign.ChangeDimension, in Input) ([]Statement, error) {
	from, err := c.entity(in.Dimension)
	if err != nil {
		return nil, err
	}
	to, err := c.followToOne(from, s.Link)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(to.Key))
	for i, k := range to.Key {
		paths[i] = s.Link + "." + k
	}
	view, err := c.dimView(from, "", paths)
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
	query := "SELECT DISTINCT " + strings.Join(sel, ", ") + " FROM " + store.Quote(in.Table) + " w JOIN (" + view.sql + ") d ON " +
		keyJoin("w", "d", keys) + " WHERE " + strings.Join(notNull, " AND ")
	return []Statement{c.create("out", to.Name, query, view.args...)}, nil
}

// followToOne follows a dotted path of many-to-one and one-to-one links.
func (c *Compiler) followToOne(from *datamodel.Entity, path string) (*datamodel.Entity, error) {
	cur := from
	for _, p := range strings.Split(path, ".") {
		l := cur.Link(p)
		if l == nil {
			return nil, fmt.Errorf("%s has no link %q", cur.Name, p)
		}
		if l.Kind == datamodel.OneToMany {
			return nil, fmt.Errorf("%s.%s is one-to-many: change_dimension follows many-to-one and one-to-one links", cur.Name, p)
		}
		next := c.Model.Entity(l.Entity)
		if next == nil {
			return nil, fmt.Errorf("link %s points at unknown entity %s", p, l.Entity)
		}
		cur = next
	}
	return cur, nil
}

// Reconcile turns the rows of a file into rows of a dimension: out holds
// the key of every row of the dimension whose attributes equal the columns
// of at least one file row (every pair of the match; a null matches
// nothing), each key once; unmatched holds the file rows that match no
// row, with their columns. Values are compared in their own types, so a
// file column must have a type comparable with its attribute's; fileTypes
// are the file columns' types as its table stores them.
func (c *Compiler) Reconcile(dimension string, match []campaign.Match, fileTypes map[string]datamodel.Type, file Input) ([]Statement, error) {
	dim, err := c.entity(dimension)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(match))
	conds := make([]string, len(match))
	for i, m := range match {
		ft, ok := fileTypes[m.Column]
		if !ok {
			return nil, fmt.Errorf("the file has no column %q (columns: %s)", m.Column, strings.Join(sortedNames(fileTypes), ", "))
		}
		a, err := c.resolvePath(dim, m.Attribute)
		if err != nil {
			return nil, err
		}
		if ac := compareClass(a.Type); ac == "" || ac != compareClass(ft) {
			return nil, fmt.Errorf("column %s is %s and attribute %s is %s: they cannot be compared; declare the column with the attribute's type in load_file", m.Column, orUnknown(ft), m.Attribute, a.Type)
		}
		paths[i] = m.Attribute
		conds[i] = "d." + viewCol(i) + " = f." + store.Quote(m.Column)
	}
	view, err := c.dimView(dim, "", paths)
	if err != nil {
		return nil, err
	}
	on := strings.Join(conds, " AND ")
	from := store.Quote(file.Table) + " f"
	// The dimension's view holds each key once, so a semi-join yields
	// each matched key once however many file rows match it.
	out := c.create("out", dim.Name, "SELECT "+columnList("d", quoteAll(dim.Key))+" FROM ("+view.sql+") d WHERE EXISTS (SELECT 1 FROM "+from+" WHERE "+on+")", view.args...)
	unmatched := c.create(campaign.PortUnmatched, "", "SELECT f.* FROM "+from+" WHERE NOT EXISTS (SELECT 1 FROM ("+view.sql+") d WHERE "+on+")", view.args...)
	return []Statement{out, unmatched}, nil
}

// compareClass groups the types whose values SQL compares with each other
// exactly: text (string, enum), numbers (integer, decimal), and each other
// type on its own. json compares with nothing.
func compareClass(t datamodel.Type) string {
	switch t {
	case datamodel.TypeString, datamodel.TypeEnum:
		return "text"
	case datamodel.TypeInteger, datamodel.TypeDecimal:
		return "number"
	case datamodel.TypeBoolean, datamodel.TypeDate, datamodel.TypeTimestamp:
		return string(t)
	}
	return ""
}

func orUnknown(t datamodel.Type) string {
	if t == "" {
		return "of an unknown type"
	}
	return string(t)
}

func sortedNames(m map[string]datamodel.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

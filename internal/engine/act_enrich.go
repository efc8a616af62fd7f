package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// enrich adds columns to the population in one statement: attributes
// through to-one links come from the dimension view (d); each column over
// related rows is a derived table grouped by the link columns and LEFT
// JOINed on the values the view reads for the link.
func enrich(v *env) ([]output, error) {
	var s campaign.Enrich
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	in, err := v.population()
	if err != nil {
		return nil, err
	}
	dim, err := v.entity(in.Dimension)
	if err != nil {
		return nil, err
	}
	if len(s.Columns) == 0 {
		return nil, fmt.Errorf("%s: list the columns to add", v.act.ID)
	}
	cols, err := v.inputColumns(in)
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, c := range in.Columns {
		taken[strings.ToLower(c)] = true
	}
	newName := func(name string) (string, error) {
		if !identRE.MatchString(name) {
			return "", fmt.Errorf("%s: column name %q: a name is a letter or '_' followed by letters, digits and '_'", v.act.ID, name)
		}
		if taken[strings.ToLower(name)] {
			return "", fmt.Errorf("%s: column %q is already in the population", v.act.ID, name)
		}
		taken[strings.ToLower(name)] = true
		return store.Quote(name), nil
	}

	// The view reads the attributes, then the link columns of every
	// column over related rows.
	var paths []string
	selects := []string{columnList("w", cols)}
	var joins []sqlPart
	var joinOn [][]string // per join: the view columns matched by k1, k2…
	for i, c := range s.Columns {
		if c.Link == "" {
			name, err := newName(c.Name)
			if err != nil {
				return nil, err
			}
			if _, err := v.resolvePath(dim, c.Attribute); err != nil {
				return nil, err
			}
			selects = append(selects, "d."+viewCol(len(paths))+" AS "+name)
			paths = append(paths, c.Attribute)
			continue
		}
		toOne, many, err := audience.ResolveLink(v.st.model, dim, c.Link)
		if err != nil {
			return nil, fmt.Errorf("%s: column %s: link %q: %w", v.act.ID, c.Name, c.Link, err)
		}
		prefix := ""
		for _, h := range toOne {
			prefix += h.Link.Name + "."
		}
		on := make([]string, len(many.FromCols))
		for j, col := range many.FromCols {
			on[j] = viewCol(len(paths))
			paths = append(paths, prefix+col)
		}
		g := "g" + strconv.Itoa(i)
		var part sqlPart
		var exprs []string
		if c.Aggregate != "" {
			part, err = v.aggregateSQL(c, many)
			if err != nil {
				return nil, err
			}
			name, err := newName(c.Name)
			if err != nil {
				return nil, err
			}
			x := g + ".v"
			if c.Aggregate == audience.FnCount || c.Aggregate == audience.FnSum {
				x = "coalesce(" + x + ", 0)"
			}
			exprs = []string{x + " AS " + name}
		} else {
			var names []string
			part, names, err = v.firstSQL(c, many)
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				q, err := newName(n)
				if err != nil {
					return nil, err
				}
				exprs = append(exprs, g+"."+q+" AS "+q)
			}
		}
		selects = append(selects, exprs...)
		joins = append(joins, part)
		joinOn = append(joinOn, on)
	}
	view, err := v.dimView(dim.Name, "", paths)
	if err != nil {
		return nil, err
	}
	var args []any
	bound := bind(&args, append([]sqlPart{view}, joins...)...)
	keys := quoteAll(dim.Key)
	var b strings.Builder
	b.WriteString("SELECT " + strings.Join(selects, ", ") + " FROM " + store.Quote(in.Table) + " w LEFT JOIN (" + bound[0] + ") d ON " + keyJoin("w", "d", keys))
	j := 0
	for i, c := range s.Columns {
		if c.Link == "" {
			continue
		}
		g := "g" + strconv.Itoa(i)
		conds := make([]string, len(joinOn[j]))
		for k, col := range joinOn[j] {
			conds[k] = g + ".k" + strconv.Itoa(k) + " = d." + col
		}
		b.WriteString(" LEFT JOIN (" + bound[j+1] + ") " + g + " ON " + strings.Join(conds, " AND "))
		j++
	}
	table := v.table("out")
	if err := v.createAs(table, b.String(), args...); err != nil {
		return nil, err
	}
	return []output{{Port: "out", Table: table, Dimension: dim.Name}}, nil
}

// related compiles the related rows of a link (filtered by the column's
// where) with their link columns selected as k0, k1… followed by extra.
func (v *env) related(c campaign.EnrichColumn, many audience.Hop) (*audience.Compiled, []string, error) {
	q, err := v.query(many.To.Name, c.Where, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: column %s: %w", v.act.ID, c.Name, err)
	}
	comp, err := v.compile(q)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: column %s: %w", v.act.ID, c.Name, err)
	}
	link := make([]string, len(many.ToCols))
	for i, col := range many.ToCols {
		x, err := comp.Column(col)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: column %s: %w", v.act.ID, c.Name, err)
		}
		link[i] = x
	}
	return comp, link, nil
}

// aggregateSQL groups the related rows by link: k0…, v.
func (v *env) aggregateSQL(c campaign.EnrichColumn, many audience.Hop) (sqlPart, error) {
	comp, link, err := v.related(c, many)
	if err != nil {
		return sqlPart{}, err
	}
	var agg string
	switch c.Aggregate {
	case audience.FnCount, audience.FnSum, audience.FnAvg, audience.FnMin, audience.FnMax:
	default:
		return sqlPart{}, fmt.Errorf("%s: column %s: aggregate %q: want count, sum, avg, min or max", v.act.ID, c.Name, c.Aggregate)
	}
	if c.Attribute == "" {
		if c.Aggregate != audience.FnCount {
			return sqlPart{}, fmt.Errorf("%s: column %s: %s needs the attribute it aggregates", v.act.ID, c.Name, c.Aggregate)
		}
		agg = "count(*)"
	} else {
		x, err := comp.Column(c.Attribute)
		if err != nil {
			return sqlPart{}, fmt.Errorf("%s: column %s: attribute %q: %w", v.act.ID, c.Name, c.Attribute, err)
		}
		agg = c.Aggregate + "(" + x + ")"
	}
	sel := make([]string, len(link))
	for i, x := range link {
		sel[i] = x + " AS k" + strconv.Itoa(i)
	}
	query, args := comp.SQL(strings.Join(sel, ", ")+", "+agg+" AS v", "GROUP BY "+strings.Join(link, ", "))
	return sqlPart{sql: query, args: args}, nil
}

// firstSQL lists, per link, the attributes of the first N related rows in
// order_by order (then by key) as columns <name>_<i>_<attribute>: the rows
// are numbered by a window, then spread into columns by conditional
// aggregation.
func (v *env) firstSQL(c campaign.EnrichColumn, many audience.Hop) (sqlPart, []string, error) {
	if c.First < 1 || c.First > campaign.MaxEnrichFirst {
		return sqlPart{}, nil, fmt.Errorf("%s: column %s: first %d is out of range 1..%d", v.act.ID, c.Name, c.First, campaign.MaxEnrichFirst)
	}
	if len(c.Attributes) == 0 {
		return sqlPart{}, nil, fmt.Errorf("%s: column %s: list the attributes of the related rows to add", v.act.ID, c.Name)
	}
	comp, link, err := v.related(c, many)
	if err != nil {
		return sqlPart{}, nil, err
	}
	order := ""
	if f := strings.Fields(c.OrderBy); len(f) > 0 {
		x, err := comp.Column(f[0])
		if err != nil {
			return sqlPart{}, nil, fmt.Errorf("%s: column %s: order_by %q: %w", v.act.ID, c.Name, c.OrderBy, err)
		}
		dir := " ASC"
		switch {
		case len(f) == 2 && strings.EqualFold(f[1], "desc"):
			dir = " DESC"
		case len(f) == 2 && strings.EqualFold(f[1], "asc"):
		case len(f) != 1:
			return sqlPart{}, nil, fmt.Errorf("%s: column %s: order_by %q: want <attribute> asc|desc", v.act.ID, c.Name, c.OrderBy)
		}
		order = x + dir + " NULLS LAST, "
	}
	order += strings.Join(comp.Keys(), ", ")
	sel := make([]string, 0, len(link)+len(c.Attributes)+1)
	outer := make([]string, 0, len(link)+c.First*len(c.Attributes))
	group := make([]string, len(link))
	for i, x := range link {
		k := "k" + strconv.Itoa(i)
		sel = append(sel, x+" AS "+k)
		outer = append(outer, "r."+k)
		group[i] = "r." + k
	}
	types := make([]*datamodel.Attribute, len(c.Attributes))
	for j, a := range c.Attributes {
		x, err := comp.Column(a)
		if err != nil {
			return sqlPart{}, nil, fmt.Errorf("%s: column %s: attribute %q: %w", v.act.ID, c.Name, a, err)
		}
		if _, types[j], err = audience.ResolveAttr(v.st.model, many.To, a); err != nil {
			return sqlPart{}, nil, fmt.Errorf("%s: column %s: attribute %q: %w", v.act.ID, c.Name, a, err)
		}
		sel = append(sel, x+" AS a"+strconv.Itoa(j))
	}
	sel = append(sel, "row_number() OVER (PARTITION BY "+strings.Join(link, ", ")+" ORDER BY "+order+") AS rn")
	var names []string
	for i := 1; i <= c.First; i++ {
		for j, a := range c.Attributes {
			name := c.Name + "_" + strconv.Itoa(i) + "_" + strings.ReplaceAll(a, ".", "_")
			names = append(names, name)
			outer = append(outer, pick(types[j], "CASE WHEN r.rn = "+strconv.Itoa(i)+" THEN r.a"+strconv.Itoa(j)+" END")+" AS "+store.Quote(name))
		}
	}
	inner, args := comp.SQL(strings.Join(sel, ", "), "")
	query := "SELECT " + strings.Join(outer, ", ") + " FROM (" + inner + ") r WHERE r.rn <= " + strconv.Itoa(c.First) + " GROUP BY " + strings.Join(group, ", ")
	return sqlPart{sql: query, args: args}, names, nil
}

// pick aggregates the one non-null value of a group: max, except where
// PostgreSQL has no max (booleans, JSON).
func pick(a *datamodel.Attribute, x string) string {
	switch a.Type {
	case datamodel.TypeBoolean:
		return "bool_or(" + x + ")"
	case datamodel.TypeJSON:
		return "max(CAST(" + x + " AS TEXT))"
	}
	return "max(" + x + ")"
}

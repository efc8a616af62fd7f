package worktable

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// enrichment is an enrich statement being built: the select list, the
// attribute paths the dimension's view reads, and the derived tables over
// related rows.
type enrichment struct {
	c       *Compiler
	dim     *datamodel.Entity
	taken   map[string]bool // column names in use, lowercased
	selects []string
	paths   []string
	related []*relatedRows
}

// relatedRows is a derived table over the related rows of a link, grouped
// by the link columns (k0, k1…) and LEFT JOINed on on, the population's
// values for them. The aggregates of one link and one where share one
// table (one scan of the related rows, as an engineer would write it); a
// first-N column has its own.
type relatedRows struct {
	alias       string
	link, where string
	on          []string
	// An aggregates' table: the related rows compiled once, the link
	// expressions, and the aggregates (v0, v1…) the columns read.
	comp *audience.Compiled
	keys []string
	aggs []string
	// A first-N table, complete.
	part sqlPart
}

// Enrich adds columns to the population in one statement: attributes
// through to-one links come from the dimension view (d), joined only when
// a column needs it; the columns over related rows come from derived
// tables grouped by the link columns and LEFT JOINed on the population's
// key when the link starts from it, else on the values the view reads for
// the link.
func (c *Compiler) Enrich(s campaign.Enrich, in Input) ([]Statement, error) {
	dim, err := c.entity(in.Dimension)
	if err != nil {
		return nil, err
	}
	if len(s.Columns) == 0 {
		return nil, fmt.Errorf("list the columns to add")
	}
	cols, err := c.columns(in)
	if err != nil {
		return nil, err
	}
	e := &enrichment{c: c, dim: dim, taken: map[string]bool{}, selects: []string{columnList("w", cols)}}
	for _, col := range in.Columns {
		e.taken[strings.ToLower(col)] = true
	}
	for _, col := range s.Columns {
		if err := e.column(col); err != nil {
			return nil, err
		}
	}
	var args []any
	var b strings.Builder
	b.WriteString("SELECT " + strings.Join(e.selects, ", ") + " FROM " + store.Quote(in.Table) + " w")
	if len(e.paths) > 0 {
		view, err := c.dimView(dim, "", e.paths)
		if err != nil {
			return nil, err
		}
		b.WriteString(" LEFT JOIN (" + bind(&args, view)[0] + ") d ON " + keyJoin("w", "d", quoteAll(dim.Key)))
	}
	for _, r := range e.related {
		conds := make([]string, len(r.on))
		for k, x := range r.on {
			conds[k] = r.alias + ".k" + strconv.Itoa(k) + " = " + x
		}
		b.WriteString(" LEFT JOIN (" + bind(&args, r.sql())[0] + ") " + r.alias + " ON " + strings.Join(conds, " AND "))
	}
	return []Statement{c.create("out", dim.Name, b.String(), args...)}, nil
}

// sql renders a derived table over related rows.
func (r *relatedRows) sql() sqlPart {
	if r.comp == nil {
		return r.part
	}
	sel := make([]string, len(r.keys))
	for i, x := range r.keys {
		sel[i] = x + " AS k" + strconv.Itoa(i)
	}
	query, args := r.comp.SQL(strings.Join(append(sel, r.aggs...), ", "), "GROUP BY "+strings.Join(r.keys, ", "))
	return sqlPart{sql: query, args: args}
}

// newName checks and takes the name of a new column, and quotes it.
func (e *enrichment) newName(name string) (string, error) {
	if !ValidName(name) {
		return "", fmt.Errorf("column name %q: a name is a letter or '_' followed by letters, digits and '_'", name)
	}
	if e.taken[strings.ToLower(name)] {
		return "", fmt.Errorf("column %q is already in the population", name)
	}
	e.taken[strings.ToLower(name)] = true
	return store.Quote(name), nil
}

// column adds a column of the settings: an attribute the view reads, or a
// column over related rows.
func (e *enrichment) column(col campaign.EnrichColumn) error {
	if col.Link == "" {
		name, err := e.newName(col.Name)
		if err != nil {
			return err
		}
		if _, err := e.c.resolvePath(e.dim, col.Attribute); err != nil {
			return err
		}
		e.selects = append(e.selects, "d."+viewCol(len(e.paths))+" AS "+name)
		e.paths = append(e.paths, col.Attribute)
		return nil
	}
	toOne, many, err := audience.ResolveLink(e.c.Model, e.dim, col.Link)
	if err != nil {
		return fmt.Errorf("column %s: link %q: %w", col.Name, col.Link, err)
	}
	if col.Aggregate != "" {
		return e.aggregate(col, toOne, many)
	}
	part, names, err := e.c.firstSQL(col, many)
	if err != nil {
		return err
	}
	r := &relatedRows{alias: "g" + strconv.Itoa(len(e.related)), on: e.linkValues(toOne, many), part: part}
	e.related = append(e.related, r)
	for _, n := range names {
		q, err := e.newName(n)
		if err != nil {
			return err
		}
		e.selects = append(e.selects, r.alias+"."+q+" AS "+q)
	}
	return nil
}

// linkValues returns the population's values for a link's columns: the
// working table's key columns when the link starts from them, else the
// view's columns for the path to them.
func (e *enrichment) linkValues(toOne []audience.Hop, many audience.Hop) []string {
	on := make([]string, len(many.FromCols))
	if len(toOne) == 0 && !slices.ContainsFunc(many.FromCols, func(c string) bool { return !slices.Contains(e.dim.Key, c) }) {
		for j, fc := range many.FromCols {
			on[j] = "w." + store.Quote(fc)
		}
		return on
	}
	prefix := ""
	for _, h := range toOne {
		prefix += h.Link.Name + "."
	}
	for j, fc := range many.FromCols {
		on[j] = "d." + viewCol(len(e.paths))
		e.paths = append(e.paths, prefix+fc)
	}
	return on
}

// aggregate adds an aggregate over related rows to the table of its link
// and where, which it opens if it is the first.
func (e *enrichment) aggregate(col campaign.EnrichColumn, toOne []audience.Hop, many audience.Hop) error {
	var r *relatedRows
	for _, x := range e.related {
		if x.comp != nil && x.link == col.Link && x.where == col.Where {
			r = x
		}
	}
	if r == nil {
		comp, keys, err := e.c.related(col, many)
		if err != nil {
			return err
		}
		r = &relatedRows{alias: "g" + strconv.Itoa(len(e.related)), link: col.Link, where: col.Where, comp: comp, keys: keys}
		r.on = e.linkValues(toOne, many)
		e.related = append(e.related, r)
	}
	agg, err := e.c.aggregateSQL(col, r.comp)
	if err != nil {
		return err
	}
	name, err := e.newName(col.Name)
	if err != nil {
		return err
	}
	v := "v" + strconv.Itoa(len(r.aggs))
	r.aggs = append(r.aggs, agg+" AS "+v)
	x := r.alias + "." + v
	if col.Aggregate == audience.FnCount || col.Aggregate == audience.FnSum {
		x = "coalesce(" + x + ", 0)"
	}
	e.selects = append(e.selects, x+" AS "+name)
	return nil
}

// related compiles the related rows of a link (filtered by the column's
// where) and the expressions of their link columns.
func (c *Compiler) related(col campaign.EnrichColumn, many audience.Hop) (*audience.Compiled, []string, error) {
	comp, err := c.Query(many.To.Name, col.Where, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("column %s: %w", col.Name, err)
	}
	link := make([]string, len(many.ToCols))
	for i, tc := range many.ToCols {
		x, err := comp.Column(tc)
		if err != nil {
			return nil, nil, fmt.Errorf("column %s: %w", col.Name, err)
		}
		link[i] = x
	}
	return comp, link, nil
}

// aggregateSQL is an aggregate column's aggregate over the related rows.
func (c *Compiler) aggregateSQL(col campaign.EnrichColumn, comp *audience.Compiled) (string, error) {
	switch col.Aggregate {
	case audience.FnCount, audience.FnSum, audience.FnAvg, audience.FnMin, audience.FnMax:
	default:
		return "", fmt.Errorf("column %s: aggregate %q: want count, sum, avg, min or max", col.Name, col.Aggregate)
	}
	if col.Attribute == "" {
		if col.Aggregate != audience.FnCount {
			return "", fmt.Errorf("column %s: %s needs the attribute it aggregates", col.Name, col.Aggregate)
		}
		return "count(*)", nil
	}
	x, err := comp.Column(col.Attribute)
	if err != nil {
		return "", fmt.Errorf("column %s: attribute %q: %w", col.Name, col.Attribute, err)
	}
	return col.Aggregate + "(" + x + ")", nil
}

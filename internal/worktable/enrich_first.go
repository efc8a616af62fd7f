package worktable

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// firstSQL lists, per link, the attributes of the first N related rows in
// order_by order (then by key) as columns <name>_<i>_<attribute>: the rows
// are numbered by a window, then spread into columns by conditional
// aggregation.
func (c *Compiler) firstSQL(col campaign.EnrichColumn, many audience.Hop) (sqlPart, []string, error) {
	if col.First < 1 || col.First > campaign.MaxEnrichFirst {
		return sqlPart{}, nil, fmt.Errorf("column %s: first %d is out of range 1..%d", col.Name, col.First, campaign.MaxEnrichFirst)
	}
	if len(col.Attributes) == 0 {
		return sqlPart{}, nil, fmt.Errorf("column %s: list the attributes of the related rows to add", col.Name)
	}
	comp, link, err := c.related(col, many)
	if err != nil {
		return sqlPart{}, nil, err
	}
	order, err := firstOrder(comp, col)
	if err != nil {
		return sqlPart{}, nil, err
	}
	sel := make([]string, 0, len(link)+len(col.Attributes)+1)
	outer := make([]string, 0, len(link)+col.First*len(col.Attributes))
	group := make([]string, len(link))
	for i, x := range link {
		k := "k" + strconv.Itoa(i)
		sel = append(sel, x+" AS "+k)
		outer = append(outer, "r."+k)
		group[i] = "r." + k
	}
	types := make([]*datamodel.Attribute, len(col.Attributes))
	for j, a := range col.Attributes {
		x, err := comp.Column(a)
		if err != nil {
			return sqlPart{}, nil, fmt.Errorf("column %s: attribute %q: %w", col.Name, a, err)
		}
		if _, types[j], err = audience.ResolveAttr(c.Model, many.To, a); err != nil {
			return sqlPart{}, nil, fmt.Errorf("column %s: attribute %q: %w", col.Name, a, err)
		}
		sel = append(sel, x+" AS a"+strconv.Itoa(j))
	}
	sel = append(sel, "row_number() OVER (PARTITION BY "+strings.Join(link, ", ")+" ORDER BY "+order+") AS rn")
	var names []string
	for i := 1; i <= col.First; i++ {
		for j, a := range col.Attributes {
			name := col.Name + "_" + strconv.Itoa(i) + "_" + strings.ReplaceAll(a, ".", "_")
			names = append(names, name)
			outer = append(outer, pick(types[j], "CASE WHEN r.rn = "+strconv.Itoa(i)+" THEN r.a"+strconv.Itoa(j)+" END")+" AS "+store.Quote(name))
		}
	}
	inner, args := comp.SQL(strings.Join(sel, ", "), "")
	query := "SELECT " + strings.Join(outer, ", ") + " FROM (" + inner + ") r WHERE r.rn <= " + strconv.Itoa(col.First) + " GROUP BY " + strings.Join(group, ", ")
	return sqlPart{sql: query, args: args}, names, nil
}

// firstOrder is the order of the related rows: order_by's attribute and
// direction, nulls last, then the key.
func firstOrder(comp *audience.Compiled, col campaign.EnrichColumn) (string, error) {
	order := ""
	if f := strings.Fields(col.OrderBy); len(f) > 0 {
		x, err := comp.Column(f[0])
		if err != nil {
			return "", fmt.Errorf("column %s: order_by %q: %w", col.Name, col.OrderBy, err)
		}
		dir := " ASC"
		switch {
		case len(f) == 2 && strings.EqualFold(f[1], "desc"):
			dir = " DESC"
		case len(f) == 2 && strings.EqualFold(f[1], "asc"):
		case len(f) != 1:
			return "", fmt.Errorf("column %s: order_by %q: want <attribute> asc|desc", col.Name, col.OrderBy)
		}
		order = x + dir + " NULLS LAST, "
	}
	return order + strings.Join(comp.Keys(), ", "), nil
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

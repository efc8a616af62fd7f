package worktable

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Split writes one table per subset, in order: the input's rows matching
// the subset's where, without the rows earlier subsets took (unless
// overlap), capped by its limit in its order. A percentage limit is a share
// of the input's rows, rounded to the nearest row. Every subset has an
// output, empty or not, so its transition shows a count; remainder holds
// the rows no subset took.
func (c *Compiler) Split(s campaign.Split, in Input) ([]Statement, error) {
	dim, err := c.entity(in.Dimension)
	if err != nil {
		return nil, err
	}
	keys := quoteAll(dim.Key)
	cols, err := c.columns(in)
	if err != nil {
		return nil, err
	}
	var out []Statement
	var taken []string // tables of the subsets written so far
	for _, sub := range s.Subsets {
		var conds []string
		if !s.Overlap {
			conds = notIn(taken, keys)
		}
		st, err := c.subset(sub, in, dim, cols, conds)
		if err != nil {
			return nil, err
		}
		taken = append(taken, st.Table)
		out = append(out, st)
	}
	if s.Remainder {
		query := "SELECT " + columnList("w", cols) + " FROM " + store.Quote(in.Table) + " w" + whereSQL(notIn(taken, keys))
		out = append(out, c.create(campaign.PortRemainder, dim.Name, query))
	}
	return out, nil
}

// subset is one subset's statement: the input's rows (w) matching its
// where and conds, in its order up to its limit.
func (c *Compiler) subset(sub campaign.Subset, in Input, dim *datamodel.Entity, cols, conds []string) (Statement, error) {
	keys := quoteAll(dim.Key)
	count, percent, err := sub.Limit.Parse()
	if err != nil {
		return Statement{}, fmt.Errorf("subset %s: %w", sub.Name, err)
	}
	if percent > 0 {
		count = int64(math.Round(percent * float64(in.Count) / 100))
	}
	orderAttr, desc, random, err := parseSplitOrder(sub.Order)
	if err != nil {
		return Statement{}, fmt.Errorf("subset %s: %w", sub.Name, err)
	}
	var paths []string
	if orderAttr != "" {
		if _, err := c.resolvePath(dim, orderAttr); err != nil {
			return Statement{}, err
		}
		paths = []string{orderAttr}
	}
	var args []any
	from := store.Quote(in.Table) + " w"
	if strings.TrimSpace(sub.Where) != "" || orderAttr != "" {
		view, err := c.dimView(dim, sub.Where, paths)
		if err != nil {
			return Statement{}, fmt.Errorf("%w (subset %s)", err, sub.Name)
		}
		from += " JOIN (" + view.sql + ") d ON " + keyJoin("w", "d", keys)
		args = view.args
	}
	query := "SELECT " + columnList("w", cols) + " FROM " + from + whereSQL(conds)
	if count > 0 || percent > 0 {
		var order string
		switch {
		case random:
			order = c.hashOrder("w", keys) + ", "
		case orderAttr != "":
			dir := " ASC"
			if desc {
				dir = " DESC"
			}
			order = "d." + viewCol(0) + dir + " NULLS LAST, "
		}
		query += " ORDER BY " + order + columnList("w", keys) + " LIMIT " + strconv.FormatInt(count, 10)
	}
	return c.create(sub.Name, dim.Name, query, args...), nil
}

// parseSplitOrder reads a subset's order: "", "random" or
// "<attribute> [asc|desc]".
func parseSplitOrder(s string) (attr string, desc, random bool, err error) {
	f := strings.Fields(s)
	switch {
	case len(f) == 0:
		return "", false, false, nil
	case len(f) == 1 && f[0] == "random":
		return "", false, true, nil
	case len(f) == 1:
		return f[0], false, false, nil
	case len(f) == 2 && (strings.EqualFold(f[1], "asc") || strings.EqualFold(f[1], "desc")):
		return f[0], strings.EqualFold(f[1], "desc"), false, nil
	}
	return "", false, false, fmt.Errorf("order %q: want random or <attribute> asc|desc", s)
}

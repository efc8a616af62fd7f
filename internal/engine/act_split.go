package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// split writes one table per subset, in order: the input's rows matching
// the subset's where, without the rows earlier subsets took (unless
// overlap), capped by its limit in its order. A percentage limit is a share
// of the input's rows, rounded to the nearest row. Every subset has an
// output, empty or not, so its transition shows a count; remainder holds
// the rows no subset took.
func split(v *env) ([]output, error) {
	var s campaign.Split
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
	keys := quoteAll(dim.Key)
	cols, err := v.inputColumns(in)
	if err != nil {
		return nil, err
	}
	var outs []output
	var taken []string // tables of the subsets written so far
	notIn := func(tables []string) []string {
		conds := make([]string, len(tables))
		for i, t := range tables {
			a := "x" + strconv.Itoa(i)
			conds[i] = "NOT EXISTS (SELECT 1 FROM " + store.Quote(t) + " " + a + " WHERE " + keyJoin(a, "w", keys) + ")"
		}
		return conds
	}
	for _, sub := range s.Subsets {
		count, percent, err := sub.Limit.Parse()
		if err != nil {
			return nil, fmt.Errorf("%s: subset %s: %w", v.act.ID, sub.Name, err)
		}
		if percent > 0 {
			count = int64(math.Round(percent * float64(in.Count) / 100))
		}
		orderAttr, desc, random, err := parseSplitOrder(sub.Order)
		if err != nil {
			return nil, fmt.Errorf("%s: subset %s: %w", v.act.ID, sub.Name, err)
		}
		var paths []string
		if orderAttr != "" {
			if _, err := v.resolvePath(dim, orderAttr); err != nil {
				return nil, err
			}
			paths = []string{orderAttr}
		}
		var args []any
		from := store.Quote(in.Table) + " w"
		if strings.TrimSpace(sub.Where) != "" || orderAttr != "" {
			view, err := v.dimView(dim.Name, sub.Where, paths)
			if err != nil {
				return nil, fmt.Errorf("%s (subset %s)", err, sub.Name)
			}
			from += " JOIN (" + view.sql + ") d ON " + keyJoin("w", "d", keys)
			args = view.args
		}
		query := "SELECT " + columnList("w", cols) + " FROM " + from
		var conds []string
		if !s.Overlap {
			conds = notIn(taken)
		}
		query += whereSQL(conds)
		if count > 0 || percent > 0 {
			var order string
			switch {
			case random:
				order = v.hashOrder("w", keys) + ", "
			case orderAttr != "":
				dir := " ASC"
				if desc {
					dir = " DESC"
				}
				order = "d." + viewCol(0) + dir + " NULLS LAST, "
			}
			query += " ORDER BY " + order + columnList("w", keys) + " LIMIT " + strconv.FormatInt(count, 10)
		}
		table := v.table(sub.Name)
		if err := v.createAs(table, query, args...); err != nil {
			return nil, err
		}
		taken = append(taken, table)
		outs = append(outs, output{Port: sub.Name, Table: table, Dimension: dim.Name})
	}
	if s.Remainder {
		table := v.table(campaign.PortRemainder)
		query := "SELECT " + columnList("w", cols) + " FROM " + store.Quote(in.Table) + " w"
		query += whereSQL(notIn(taken))
		if err := v.createAs(table, query); err != nil {
			return nil, err
		}
		outs = append(outs, output{Port: campaign.PortRemainder, Table: table, Dimension: dim.Name})
	}
	return outs, nil
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

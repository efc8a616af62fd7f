package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// deduplicate keeps, of each group of rows with equal fields, keep rows
// chosen by method; the others go to duplicates. A row with a null field
// is never a duplicate: it is kept. Ties are broken by key, so the choice
// is the same on every attempt.
func deduplicate(v *env) ([]output, error) {
	var s campaign.Deduplicate
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
	if len(s.Fields) == 0 {
		return nil, fmt.Errorf("%s: list the attributes that identify duplicates", v.act.ID)
	}
	keep := s.Keep
	if keep == 0 {
		keep = 1
	}
	if keep < 0 {
		return nil, fmt.Errorf("%s: keep %d: keep at least 1 row of each group", v.act.ID, keep)
	}
	by, err := byList(s.By)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	paths := append(append([]string{}, s.Fields...), by...)
	for _, p := range paths {
		if _, err := v.resolvePath(dim, p); err != nil {
			return nil, err
		}
	}
	view, err := v.dimView(dim.Name, "", paths)
	if err != nil {
		return nil, err
	}
	keys := quoteAll(dim.Key)
	cols, err := v.inputColumns(in)
	if err != nil {
		return nil, err
	}
	fields := make([]string, len(s.Fields))
	nulls := make([]string, len(s.Fields))
	for i := range s.Fields {
		fields[i] = "d." + viewCol(i)
		nulls[i] = fields[i] + " IS NULL"
	}
	byCol := func(i int) string { return "d." + viewCol(len(s.Fields)+i) }
	var order string
	switch s.Method {
	case "", "random":
		order = v.hashOrder("w", keys)
	case "highest", "lowest":
		if len(by) != 1 {
			return nil, fmt.Errorf("%s: %s needs one attribute as by", v.act.ID, s.Method)
		}
		dir := " ASC"
		if s.Method == "highest" {
			dir = " DESC"
		}
		order = byCol(0) + dir + " NULLS LAST"
	case "non_empty":
		if len(by) == 0 {
			return nil, fmt.Errorf("%s: non_empty needs the attributes to look at as by", v.act.ID)
		}
		empty := make([]string, len(by))
		for i := range by {
			empty[i] = "CASE WHEN " + byCol(i) + " IS NULL THEN 1 ELSE 0 END"
		}
		order = "(" + strings.Join(empty, " + ") + ")"
	default:
		return nil, fmt.Errorf("%s: method %q: want random, highest, lowest or non_empty", v.act.ID, s.Method)
	}
	order += ", " + columnList("w", keys)
	ranked := "SELECT " + columnList("w", cols) + ", row_number() OVER (PARTITION BY " + strings.Join(fields, ", ") + " ORDER BY " + order + ") AS ff_rank, " +
		"(" + strings.Join(nulls, " OR ") + ") AS ff_null FROM " + store.Quote(in.Table) + " w LEFT JOIN (" + view.sql + ") d ON " + keyJoin("w", "d", keys)
	table := v.table("out")
	query := "SELECT " + columnList("r", cols) + " FROM (" + ranked + ") r WHERE r.ff_null OR r.ff_rank <= " + strconv.Itoa(keep)
	if err := v.createAs(table, query, view.args...); err != nil {
		return nil, err
	}
	dups := v.table(campaign.PortDuplicates)
	query = "SELECT " + columnList("w", cols) + " FROM " + store.Quote(in.Table) + " w WHERE NOT EXISTS (SELECT 1 FROM " +
		store.Quote(table) + " o WHERE " + keyJoin("o", "w", keys) + ")"
	if err := v.createAs(dups, query); err != nil {
		return nil, err
	}
	return []output{
		{Port: "out", Table: table, Dimension: dim.Name},
		{Port: campaign.PortDuplicates, Table: dups, Dimension: dim.Name},
	}, nil
}

// byList reads deduplicate's by: one attribute path or a list of them.
func byList(by any) ([]string, error) {
	switch x := by.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, len(x))
		for i, b := range x {
			s, ok := b.(string)
			if !ok {
				return nil, fmt.Errorf("by: expected attribute paths, found %v", b)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("by: expected an attribute path or a list of them, found %v", by)
}

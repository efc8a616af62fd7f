package worktable

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Deduplicate keeps, of each group of rows with equal fields, keep rows
// chosen by method; the others go to duplicates. A row with a null field
// is never a duplicate: it is kept. Ties are broken by key, so the choice
// is the same on every attempt.
func (c *Compiler) Deduplicate(s campaign.Deduplicate, in Input) ([]Statement, error) {
	dim, err := c.entity(in.Dimension)
	if err != nil {
		return nil, err
	}
	if len(s.Fields) == 0 {
		return nil, fmt.Errorf("list the attributes that identify duplicates")
	}
	keep := s.Keep
	if keep == 0 {
		keep = 1
	}
	if keep < 0 {
		return nil, fmt.Errorf("keep %d: keep at least 1 row of each group", keep)
	}
	by, err := byList(s.By)
	if err != nil {
		return nil, err
	}
	paths := append(append([]string{}, s.Fields...), by...)
	for _, p := range paths {
		if _, err := c.resolvePath(dim, p); err != nil {
			return nil, err
		}
	}
	view, err := c.dimView(dim, "", paths)
	if err != nil {
		return nil, err
	}
	keys := quoteAll(dim.Key)
	cols, err := c.columns(in)
	if err != nil {
		return nil, err
	}
	fields := make([]string, len(s.Fields))
	nulls := make([]string, len(s.Fields))
	for i := range s.Fields {
		fields[i] = "d." + viewCol(i)
		nulls[i] = fields[i] + " IS NULL"
	}
	order, err := c.dedupOrder(s.Method, by, len(s.Fields), keys)
	if err != nil {
		return nil, err
	}
	ranked := "SELECT " + columnList("w", cols) + ", row_number() OVER (PARTITION BY " + strings.Join(fields, ", ") + " ORDER BY " + order + ") AS ff_rank, " +
		"(" + strings.Join(nulls, " OR ") + ") AS ff_null FROM " + store.Quote(in.Table) + " w LEFT JOIN (" + view.sql + ") d ON " + keyJoin("w", "d", keys)
	out := c.create("out", dim.Name, "SELECT "+columnList("r", cols)+" FROM ("+ranked+") r WHERE r.ff_null OR r.ff_rank <= "+strconv.Itoa(keep), view.args...)
	dups := c.create(campaign.PortDuplicates, dim.Name, "SELECT "+columnList("w", cols)+" FROM "+store.Quote(in.Table)+" w WHERE NOT EXISTS (SELECT 1 FROM "+
		store.Quote(out.Table)+" o WHERE "+keyJoin("o", "w", keys)+")")
	return []Statement{out, dups}, nil
}

// dedupOrder is the order in which a group's rows are kept: method's,
// then by key. The by attributes are the view's columns after the fields.
func (c *Compiler) dedupOrder(method string, by []string, fields int, keys []string) (string, error) {
	byCol := func(i int) string { return "d." + viewCol(fields+i) }
	var order string
	switch method {
	case "", "random":
		order = c.hashOrder("w", keys)
	case "highest", "lowest":
		if len(by) != 1 {
			return "", fmt.Errorf("%s needs one attribute as by", method)
		}
		dir := " ASC"
		if method == "highest" {
			dir = " DESC"
		}
		order = byCol(0) + dir + " NULLS LAST"
	case "non_empty":
		if len(by) == 0 {
			return "", fmt.Errorf("non_empty needs the attributes to look at as by")
		}
		empty := make([]string, len(by))
		for i := range by {
			empty[i] = "CASE WHEN " + byCol(i) + " IS NULL THEN 1 ELSE 0 END"
		}
		order = "(" + strings.Join(empty, " + ") + ")"
	default:
		return "", fmt.Errorf("method %q: want random, highest, lowest or non_empty", method)
	}
	return order + ", " + columnList("w", keys), nil
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

package engine

import (
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// keySelect aliases a compiled query's key expressions to the dimension's
// key attribute names, the columns every working table starts with.
func (v *env) keySelect(dimension string, exprs []string) (string, error) {
	ent := v.st.model.Entity(dimension)
	if ent == nil {
		return "", fmt.Errorf("%s: unknown dimension %q", v.act.ID, dimension)
	}
	parts := make([]string, len(exprs))
	for i, x := range exprs {
		parts[i] = x + " AS " + store.Quote(ent.Key[i])
	}
	return strings.Join(parts, ", "), nil
}

// createAs creates an output table from a SELECT.
func (v *env) createAs(table, query string, args ...any) error {
	return v.exec("CREATE TABLE "+store.Quote(table)+" AS "+query, args...)
}

// isEmpty reports whether a working table has no rows.
func (v *env) isEmpty(table string) (bool, error) {
	var n int64
	err := v.e.store.DB.QueryRowContext(v.ctx, "SELECT count(*) FROM (SELECT 1 FROM "+store.Quote(table)+" LIMIT 1) x").Scan(&n)
	return n == 0, err
}

// buildAudience runs a query over a dimension into the activity's output.
func buildAudience(v *env) ([]output, error) {
	var s campaign.BuildAudience
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	dim := s.Dimension
	if dim == "" {
		dim = v.dimension()
	}
	q, err := v.query(dim, s.Query, s.Where)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	c, err := v.compile(q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	sel, err := v.keySelect(dim, c.Keys())
	if err != nil {
		return nil, err
	}
	query, args := c.SQL(sel, "")
	table := v.table("out")
	if err := v.createAs(table, query, args...); err != nil {
		return nil, err
	}
	if s.SkipEmpty {
		empty, err := v.isEmpty(table)
		if err != nil {
			return nil, err
		}
		if empty {
			return nil, v.exec("DROP TABLE " + store.Quote(table))
		}
	}
	return []output{{Port: "out", Table: table, Dimension: dim}}, nil
}

package worktable

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Combine computes the union, intersection or exclusion of its inputs,
// matching rows on the dimension's key. Rows keep the columns of the input
// they come from, the primary (or first) input first; a union of inputs
// whose columns differ keeps only the key columns. Inputs are populations
// of one dimension (the first one named), so each holds a key once.
func (c *Compiler) Combine(s campaign.Combine, ins []Input) ([]Statement, error) {
	dim := ""
	for _, in := range ins {
		if dim == "" {
			dim = in.Dimension
		}
	}
	keys, err := c.keyColumns(dim)
	if err != nil {
		return nil, err
	}
	// Order the inputs: the primary first, then the others as they come.
	ins = slices.Clone(ins)
	primaryLive := s.Primary == ""
	if s.Primary != "" {
		if i := slices.IndexFunc(ins, func(in Input) bool { return in.From == s.Primary }); i >= 0 {
			primaryLive = true
			p := ins[i]
			ins = append([]Input{p}, slices.Delete(ins, i, i+1)...)
		}
	}
	union, err := c.unionSQL(ins, keys)
	if err != nil {
		return nil, err
	}
	var query string
	switch s.Mode {
	case campaign.ModeUnion:
		query = union
	case campaign.ModeIntersection, campaign.ModeExclusion:
		if !primaryLive {
			// The primary's branch was not taken: it contributes no rows.
			query = "SELECT " + columnList("e", keys) + " FROM " + store.Quote(ins[0].Table) + " e WHERE 1 = 0"
			break
		}
		if query, err = c.matchSQL(s.Mode, ins, keys); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("mode %q: want union, intersection or exclusion", s.Mode)
	}
	out := []Statement{c.create("out", dim, query)}
	if s.Complement {
		query := "SELECT u.* FROM (" + union + ") u WHERE NOT EXISTS (SELECT 1 FROM " + store.Quote(out[0].Table) + " x WHERE " + keyJoin("x", "u", keys) + ")"
		out = append(out, c.create(campaign.PortComplement, dim, query))
	}
	return out, nil
}

// matchSQL selects the rows of the first input whose key every other input
// holds (intersection) or none does (exclusion).
func (c *Compiler) matchSQL(mode string, ins []Input, keys []string) (string, error) {
	cols, err := c.columns(ins[0])
	if err != nil {
		return "", err
	}
	neg := ""
	if mode == campaign.ModeExclusion {
		neg = "NOT "
	}
	conds := make([]string, 0, len(ins)-1)
	for i, in := range ins[1:] {
		a := fmt.Sprintf("o%d", i+1)
		conds = append(conds, neg+"EXISTS (SELECT 1 FROM "+store.Quote(in.Table)+" "+a+" WHERE "+keyJoin(a, "p", keys)+")")
	}
	return "SELECT " + columnList("p", cols) + " FROM " + store.Quote(ins[0].Table) + " p" + whereSQL(conds), nil
}

// unionSQL selects the rows of every input once: each input adds the rows
// whose key no input before it holds, with its columns when all inputs
// have the same columns, else with the key columns only.
func (c *Compiler) unionSQL(ins []Input, keys []string) (string, error) {
	cols, err := c.columns(ins[0])
	if err != nil {
		return "", err
	}
	for _, in := range ins[1:] {
		cs, err := c.columns(in)
		if err != nil {
			return "", err
		}
		if !slices.Equal(cs, cols) {
			cols = keys
			break
		}
	}
	parts := make([]string, len(ins))
	for i, in := range ins {
		a := fmt.Sprintf("i%d", i)
		q := "SELECT " + columnList(a, cols) + " FROM " + store.Quote(in.Table) + " " + a
		var conds []string
		for j, prev := range ins[:i] {
			b := fmt.Sprintf("j%d", j)
			conds = append(conds, "NOT EXISTS (SELECT 1 FROM "+store.Quote(prev.Table)+" "+b+" WHERE "+keyJoin(b, a, keys)+")")
		}
		parts[i] = q + whereSQL(conds)
	}
	return strings.Join(parts, " UNION ALL "), nil
}

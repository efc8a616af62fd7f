package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// combine computes the union, intersection or exclusion of its inputs,
// matching rows on the dimension's key. Rows keep the columns of the input
// they come from, the primary (or first) input first; a union of inputs
// whose columns differ keeps only the key columns. Inputs are populations,
// so each holds a key once.
func combine(v *env) ([]output, error) {
	var s campaign.Combine
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	if len(v.inputs) == 0 {
		return nil, fmt.Errorf("%s has no input", v.act.ID)
	}
	dim := ""
	for _, in := range v.inputs {
		if in.Table == "" {
			return nil, fmt.Errorf("%s combines populations, but its input %s carries none", v.act.ID, in.From)
		}
		if dim == "" {
			dim = in.Dimension
		} else if in.Dimension != dim {
			return nil, fmt.Errorf("%s combines %s rows with %s rows: use change_dimension to bring them to one", v.act.ID, dim, in.Dimension)
		}
	}
	keys, err := v.keyColumns(dim)
	if err != nil {
		return nil, err
	}
	// Order the inputs: the primary first, then the others as they come.
	ins := slices.Clone(v.inputs)
	primaryLive := s.Primary == ""
	if s.Primary != "" {
		if i := slices.IndexFunc(ins, func(in input) bool { return in.From == s.Primary }); i >= 0 {
			primaryLive = true
			p := ins[i]
			ins = append([]input{p}, slices.Delete(ins, i, i+1)...)
		}
	}
	union, err := v.unionSQL(ins, keys)
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
			query = emptyLike(ins[0].Table, keys)
			break
		}
		cols, err := v.inputColumns(ins[0])
		if err != nil {
			return nil, err
		}
		neg := ""
		if s.Mode == campaign.ModeExclusion {
			neg = "NOT "
		}
		conds := make([]string, 0, len(ins)-1)
		for i, in := range ins[1:] {
			a := fmt.Sprintf("o%d", i+1)
			conds = append(conds, neg+"EXISTS (SELECT 1 FROM "+store.Quote(in.Table)+" "+a+" WHERE "+keyJoin(a, "p", keys)+")")
		}
		query = "SELECT " + columnList("p", cols) + " FROM " + store.Quote(ins[0].Table) + " p"
		query += whereSQL(conds)
	default:
		return nil, fmt.Errorf("%s: mode %q: want union, intersection or exclusion", v.act.ID, s.Mode)
	}
	table := v.table("out")
	if err := v.createAs(table, query); err != nil {
		return nil, err
	}
	outs := []output{{Port: "out", Table: table, Dimension: dim}}
	if s.Complement {
		comp := v.table(campaign.PortComplement)
		query := "SELECT u.* FROM (" + union + ") u WHERE NOT EXISTS (SELECT 1 FROM " + store.Quote(table) + " x WHERE " + keyJoin("x", "u", keys) + ")"
		if err := v.createAs(comp, query); err != nil {
			return nil, err
		}
		outs = append(outs, output{Port: campaign.PortComplement, Table: comp, Dimension: dim})
	}
	return outs, nil
}

// unionSQL selects the rows of every input once: each input adds the rows
// whose key no input before it holds, with its columns when all inputs
// have the same columns, else with the key columns only.
func (v *env) unionSQL(ins []input, keys []string) (string, error) {
	cols, err := v.inputColumns(ins[0])
	if err != nil {
		return "", err
	}
	for _, in := range ins[1:] {
		c, err := v.inputColumns(in)
		if err != nil {
			return "", err
		}
		if !slices.Equal(c, cols) {
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
		q += whereSQL(conds)
		parts[i] = q
	}
	return strings.Join(parts, " UNION ALL "), nil
}

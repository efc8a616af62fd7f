package engine

import (
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/worktable"
)

// createAs runs a statement of the compiler creating an output table.
func (v *env) createAs(s worktable.Statement, err error) ([]output, error) {
	return v.run([]worktable.Statement{s}, err)
}

// isEmpty reports whether a working table has no rows.
func (v *env) isEmpty(table string) (bool, error) {
	var n int64
	err := v.e.store.Generated().Row(v.ctx, worktable.IsEmpty(table), nil, &n)
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
	outs, err := v.createAs(v.compiler().Build("out", dim, s.Query, s.Where))
	if err != nil || !s.SkipEmpty {
		return outs, err
	}
	empty, err := v.isEmpty(outs[0].Table)
	if err != nil {
		return nil, err
	}
	if empty {
		return nil, v.exec(worktable.Drop(outs[0].Table))
	}
	return outs, nil
}

package engine

import (
	"fmt"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/worktable"
)

// combine computes the union, intersection or exclusion of its inputs,
// populations of one dimension (worktable's Combine).
func combine(v *env) ([]output, error) {
	var s campaign.Combine
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	if len(v.inputs) == 0 {
		return nil, fmt.Errorf("%s has no input", v.act.ID)
	}
	ins := make([]worktable.Input, len(v.inputs))
	dim := ""
	for i, in := range v.inputs {
		if in.Table == "" {
			return nil, fmt.Errorf("%s combines populations, but its input %s carries none", v.act.ID, in.From)
		}
		if dim == "" {
			dim = in.Dimension
		} else if in.Dimension != dim {
			return nil, fmt.Errorf("%s combines %s rows with %s rows: use change_dimension to bring them to one", v.act.ID, dim, in.Dimension)
		}
		ins[i] = work(in)
	}
	return v.run(v.compiler().Combine(s, ins))
}

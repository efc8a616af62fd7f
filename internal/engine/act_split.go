package engine

import "github.com/fanfare-dev/fanfare/internal/campaign"

// split writes one table per subset, and the remainder (worktable's
// Split).
func split(v *env) ([]output, error) {
	var s campaign.Split
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	in, err := v.population()
	if err != nil {
		return nil, err
	}
	return v.run(v.compiler().Split(s, work(in)))
}

package engine

import "github.com/fanfare-dev/fanfare/internal/campaign"

// enrich adds columns to the population (worktable's Enrich).
func enrich(v *env) ([]output, error) {
	var s campaign.Enrich
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	in, err := v.population()
	if err != nil {
		return nil, err
	}
	return v.run(v.compiler().Enrich(s, work(in)))
}

package engine

import "github.com/fanfare-dev/fanfare/internal/campaign"

// deduplicate keeps, of each group of rows with equal fields, the rows its
// method chooses; the others go to duplicates (worktable's Deduplicate).
func deduplicate(v *env) ([]output, error) {
	var s campaign.Deduplicate
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	in, err := v.population()
	if err != nil {
		return nil, err
	}
	return v.run(v.compiler().Deduplicate(s, work(in)))
}

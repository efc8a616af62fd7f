package engine

import "github.com/fanfare-dev/fanfare/internal/campaign"

// changeDimension follows a path of to-one links from every row to the
// distinct rows of the new dimension reached (worktable's
// ChangeDimension).
func changeDimension(v *env) ([]output, error) {
	var s campaign.ChangeDimension
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	in, err := v.population()
	if err != nil {
		return nil, err
	}
	return v.run(v.compiler().ChangeDimension(s, work(in)))
}

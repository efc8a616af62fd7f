package engine

import (
	"fmt"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
)

// readAudience copies a saved audience's current members: the population
// does not change if the audience gets a new version during the run.
func readAudience(v *env) ([]output, error) {
	var s campaign.ReadAudience
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	svc := &audience.Service{Store: v.store()}
	a, err := svc.Get(v.ctx, s.Audience)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	members, err := svc.MemberTable(v.ctx, s.Audience)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	return v.createAs(v.compiler().Members("out", a.Dimension, members))
}

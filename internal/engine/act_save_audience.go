package engine

import (
	"fmt"
	"strconv"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/campaign"
)

// saveAudience saves the population as a version of the named audience in
// live runs (a simulation writes nothing) and passes it on.
func saveAudience(v *env) ([]output, error) {
	var s campaign.SaveAudience
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	in, err := v.population()
	if err != nil {
		return nil, err
	}
	if !v.simulate() {
		svc := &audience.Service{Store: v.store()}
		// The version's author is the run that saved it.
		ctx := audit.WithActor(v.ctx, audit.Actor{Kind: audit.KindRun, Name: strconv.FormatInt(v.st.run.ID, 10)})
		a, err := svc.SaveTable(ctx, s.Audience, in.Dimension, in.Table, s.Mode)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v.act.ID, err)
		}
		v.e.audienceSaved(ctx, a)
	}
	return passThrough(v, "out")
}

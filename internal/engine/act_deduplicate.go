package engine

import (
	"fmt"

	"github.com/fanfare-dev/fanfare/internal/campaign"
)

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
	stmts, err := v.compiler().Deduplicate(s, work(in))
	if err != nil || v.connected(campaign.PortDuplicates) {
		return v.run(stmts, err)
	}
	// Unconnected duplicates are dropped (docs/campaigns.md): their table,
	// which scanned the input again to write rows nothing reads, is not
	// written. They are counted still, as what the input held beside the
	// rows kept: each row of a dimension's working table is a distinct
	// member, kept or a duplicate.
	outs, err := v.run(stmts[:1], nil)
	if err != nil {
		return nil, err
	}
	kept, _, err := v.store().Runs().TableSize(v.ctx, outs[0].Table)
	if err != nil {
		return nil, fmt.Errorf("%s: count the rows kept: %w", v.act.ID, err)
	}
	return append(outs, output{Port: campaign.PortDuplicates, Dimension: outs[0].Dimension, Count: in.Count - kept}), nil
}

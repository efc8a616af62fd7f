package delivery

import (
	"testing"

	"github.com/fanfare-dev/fanfare/internal/campaign"
)

// TestControlSplits: a subset from which no channel activity follows is a
// control group, whether it feeds nothing, an end, or a save_audience
// keeping the group (the example of docs/campaigns.md) or, a remainder,
// nothing at all; one from which a channel follows later is neither
// control nor treated; subsets feeding a channel are treated.
func TestControlSplits(t *testing.T) {
	for _, tc := range []struct {
		name, control string
		treated       []string
		transitions   string
	}{
		{"kept as an audience", "control", []string{"vip", "remainder"}, `
  - groups.control -> keep
  - keep -> done
  - groups.vip -> mail_vip
  - groups.remainder -> mail_rest`},
		{"ends", "control", []string{"vip"}, `
  - groups.control -> done
  - groups.vip -> mail_vip`},
		{"sent later", "remainder", []string{"vip"}, `
  - groups.control -> keep
  - keep -> mail_rest
  - groups.vip -> mail_vip`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := campaign.Parse([]byte(`name: c
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'all'}
  groups:
    type: split
    subsets:
      - {name: control, limit: 10%, order: random}
      - {name: vip, where: 'tier = "gold"'}
    remainder: true
  keep: {type: save_audience, audience: kept}
  mail_vip: {type: email, from: 'Shop <shop@example.com>', subject: 'Hi', text: 'Hi'}
  mail_rest: {type: email, from: 'Shop <shop@example.com>', subject: 'Hi', text: 'Hi'}
  done: {type: end}
transitions:
  - start -> all
  - all -> groups` + tc.transitions + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			got := controlSplits(d)
			if tc.control == "" {
				if len(got) != 0 {
					t.Fatalf("control splits %+v; want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].control != tc.control || len(got[0].treated) != len(tc.treated) {
				t.Fatalf("control splits %+v; want control %s, treated %v", got, tc.control, tc.treated)
			}
			for i, g := range got[0].treated {
				if g.Subset != tc.treated[i] {
					t.Fatalf("treated %+v; want %v", got[0].treated, tc.treated)
				}
			}
		})
	}
}

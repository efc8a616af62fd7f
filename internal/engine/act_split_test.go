package engine

import (
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const splitDoc = `name: split
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: all}
  groups:
    type: split
    subsets:
      - {name: gold, where: 'tier = "gold"', limit: 2, order: created_at desc}
      - {name: fr, where: 'country = "FR"'}
      - {name: nobody, where: 'country = "XX"'}
      - {name: pct, limit: 25%, order: customer_id asc}
    remainder: true
  both:
    type: split
    overlap: true
    subsets:
      - {name: gold, where: 'tier = "gold"', limit: 2, order: created_at desc}
      - {name: fr, where: 'country = "FR"'}
      - {name: pct, limit: 25%, order: customer_id asc}
    remainder: true
  draw:
    type: split
    subsets:
      - {name: ctl, limit: 3, order: random}
    remainder: true
  done: {type: end}
transitions:
  - start -> all
  - all -> groups
  - all -> both
  - all -> draw
  - groups.gold -> done
  - groups.fr -> done
  - groups.nobody -> done
  - groups.pct -> done
  - groups.remainder -> done
  - both.gold -> done
  - both.fr -> done
  - both.pct -> done
  - both.remainder -> done
  - draw.ctl -> done
  - draw.remainder -> done
`

func TestActSplit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		st := actRun(t, eng, splitDoc, ModeSimulate)
		id := st.Run.ID
		for _, tc := range []struct {
			name, act, port, want string
		}{
			{"count limit in attribute order", "groups", "gold", "4,8"},
			{"rows taken earlier are left out", "groups", "fr", "1,2,5"},
			{"percentage of the input", "groups", "pct", "3,6"},
			{"remainder", "groups", "remainder", "7"},
			{"overlap: first subset", "both", "gold", "4,8"},
			{"overlap: rows may repeat", "both", "fr", "1,2,5,8"},
			{"overlap: percentage", "both", "pct", "1,2"},
			{"overlap: remainder", "both", "remainder", "3,6,7"},
		} {
			if got := keyStr(t, eng, id, tc.act, tc.port); got != tc.want {
				t.Errorf("%s: %s.%s = %s, want %s", tc.name, tc.act, tc.port, got, tc.want)
			}
		}
		c := counts(st)
		if c["groups.gold->done"] != 2 || c["groups.fr->done"] != 3 || c["groups.nobody->done"] != 0 || c["groups.pct->done"] != 2 ||
			c["groups.remainder->done"] != 1 || c["draw.ctl->done"] != 3 || c["draw.remainder->done"] != 5 {
			t.Errorf("counts = %v", c)
		}

		// Random draws follow the hash of key, run and activity: each run
		// draws exactly what it says, and the remainder is the rest.
		all := []int{1, 2, 3, 4, 5, 6, 7, 8}
		for _, run := range []int64{id, actRerun(t, eng, "split", ModeSimulate).Run.ID} {
			want := hashPick(all, run, "draw", 3)
			if got := keyStr(t, eng, run, "draw", "ctl"); got != joinInts(want) {
				t.Errorf("run %d: random draw = %s, want %s", run, got, joinInts(want))
			}
			if n := len(keys(t, eng, run, "draw", "remainder")); n != 5 {
				t.Errorf("run %d: remainder has %d rows", run, n)
			}
		}
	})
}

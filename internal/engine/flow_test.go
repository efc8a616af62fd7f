package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func fmtValue(v any) string { return fmt.Sprint(v) }

func TestFlowTestBranchAndSkippedBranch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		doc := `name: flow
dimension: customers
variables: {threshold: 3}
activities:
  start: {type: start}
  french: {type: build_audience, query: 'country = "FR"'}
  check:
    type: test
    branches:
      - {name: big, if: 'count >= vars.threshold'}
  big_end: {type: end}
  small: {type: fork}
  small_end: {type: end}
transitions:
  - start -> french
  - french -> check
  - check.big -> big_end
  - check.default -> small
  - small -> small_end
`
		st := runToEnd(t, eng, doc, ModeSimulate)
		if st.Run.Status != RunCompleted {
			t.Fatalf("run %s: %+v", st.Run.Status, st.Activities)
		}
		c := counts(st)
		if c["french.out->check"] != 4 || c["check.big->big_end"] != 4 || c["check.default->small"] != -1 {
			t.Fatalf("counts = %v", c)
		}
		for _, a := range st.Activities {
			want := ActDone
			if a.ID == "small" || a.ID == "small_end" {
				want = ActSkipped
			}
			if a.Status != want {
				t.Errorf("%s is %s, want %s", a.ID, a.Status, want)
			}
		}
		if got := strings.Join(keys(t, eng, st.Run.ID, "check", "big"), ","); got != "1,2,5,8" {
			t.Fatalf("big branch rows = %s", got)
		}
		// The branch not taken is told skipped; the test, its outputs.
		for act, want := range map[string]string{"small": "skipped", "small_end": "skipped", "check": "started done"} {
			if got := logEvents(t, eng, st.Run.ID, act); got != want {
				t.Errorf("%s's log: %s, want %s", act, got, want)
			}
		}
		if lines, _ := eng.Log(t.Context(), st.Run.ID, LogQuery{Activity: ptr("check")}); len(lines) != 2 || lines[1].Details["rows_out"] != float64(4) {
			t.Errorf("check's lines: %+v", lines)
		}
	})
}

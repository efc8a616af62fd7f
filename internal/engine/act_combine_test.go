package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestActCombine(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		doc := `name: combine
dimension: customers
activities:
  start: {type: start}
  fr: {type: build_audience, query: 'country = "FR"'}
  optout: {type: build_audience, query: 'email_optin = false'}
  gold: {type: build_audience, query: 'tier = "gold"'}
  fr_tier:
    type: enrich
    columns: [{name: t, attribute: tier}]
  excl: {type: combine, mode: exclusion, primary: fr, complement: true}
  inter: {type: combine, mode: intersection, complement: true}
  uni: {type: combine, mode: union}
  excl_cols: {type: combine, mode: exclusion, primary: fr_tier}
  uni_cols: {type: combine, mode: union}
  done: {type: end}
transitions:
  - start -> fr
  - start -> optout
  - start -> gold
  - fr -> fr_tier
  - optout -> excl
  - fr -> excl
  - fr -> inter
  - gold -> inter
  - optout -> uni
  - fr -> uni
  - fr_tier -> excl_cols
  - optout -> excl_cols
  - fr_tier -> uni_cols
  - optout -> uni_cols
  - excl -> done
  - excl.complement -> done
  - inter -> done
  - inter.complement -> done
  - uni -> done
  - excl_cols -> done
  - uni_cols -> done
`
		st := actRun(t, eng, doc, ModeSimulate)
		id := st.Run.ID
		for _, tc := range []struct {
			name, act, port, want string
		}{
			{"exclusion", "excl", "out", "1,2,8"},
			{"exclusion complement", "excl", "complement", "3,5"},
			{"intersection", "inter", "out", "1,8"},
			{"intersection complement", "inter", "complement", "2,4,5"},
			{"union", "uni", "out", "1,2,3,5,8"},
			{"exclusion keeping columns", "excl_cols", "out", "1,2,8"},
			{"union of different columns", "uni_cols", "out", "1,2,3,5,8"},
		} {
			if got := keyStr(t, eng, id, tc.act, tc.port); got != tc.want {
				t.Errorf("%s: %s.%s = %s, want %s", tc.name, tc.act, tc.port, got, tc.want)
			}
		}
		c := counts(st)
		if c["excl.out->done"] != 3 || c["excl.complement->done"] != 2 || c["inter.complement->done"] != 3 || c["uni.out->done"] != 5 {
			t.Errorf("counts = %v", c)
		}
		cols, _, err := eng.Preview(context.Background(), id, "excl_cols", "out", 10)
		if err != nil || strings.Join(cols, ",") != "customer_id,t" {
			t.Errorf("exclusion columns = %v, %v; want the primary's", cols, err)
		}
		if row := previewRow(t, eng, id, "excl_cols", "out", "8"); row["t"] != "gold" {
			t.Errorf("exclusion row 8 = %v", row)
		}
		cols, _, err = eng.Preview(context.Background(), id, "uni_cols", "out", 10)
		if err != nil || strings.Join(cols, ",") != "customer_id" {
			t.Errorf("union of different columns = %v, %v; want the key only", cols, err)
		}
	})
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestActSaveAndReadAudience(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		eng := setup(t, s)
		ctx := context.Background()
		svc := &audience.Service{Store: s}
		save := func(name, query, aud, mode string) string {
			return `name: ` + name + `
dimension: customers
activities:
  start: {type: start}
  pick: {type: build_audience, query: '` + query + `'}
  keep: {type: save_audience, audience: ` + aud + `, mode: ` + mode + `}
  done: {type: end}
transitions:
  - start -> pick
  - pick -> keep
  - keep -> done
`
		}

		st := actRun(t, eng, save("save_fr", `country = "FR"`, "fr-kept", "replace"), ModeLive)
		if c := counts(st); c["keep.out->done"] != 4 {
			t.Errorf("save_audience passes its input on: counts = %v", c)
		}
		a, err := svc.Get(ctx, "fr-kept")
		if err != nil || a.Count != 4 || a.Version != 1 {
			t.Fatalf("saved audience = %+v, %v", a, err)
		}
		if vs, err := svc.Versions(ctx, "fr-kept"); err != nil || vs[0].CreatedBy != fmt.Sprintf("run:%d", st.Run.ID) {
			t.Errorf("the version's author = %+v, %v; want the run", vs, err)
		}

		actRun(t, eng, save("save_gold", `tier = "gold"`, "fr-kept", "append"), ModeLive)
		if a, err = svc.Get(ctx, "fr-kept"); err != nil || a.Count != 5 || a.Version != 2 {
			t.Fatalf("after append = %+v, %v", a, err)
		}

		read := `name: read
dimension: customers
activities:
  start: {type: start}
  members: {type: read_audience, audience: fr-kept}
  done: {type: end}
transitions:
  - start -> members
  - members -> done
`
		st = actRun(t, eng, read, ModeSimulate)
		if got := keyStr(t, eng, st.Run.ID, "members", "out"); got != "1,2,4,5,8" {
			t.Errorf("read_audience = %s", got)
		}

		actRun(t, eng, save("save_sim", `country = "DE"`, "sim-only", "replace"), ModeSimulate)
		if _, err := svc.Get(ctx, "sim-only"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a simulation saved an audience: %v", err)
		}
		actRun(t, eng, save("save_sim2", `country = "DE"`, "fr-kept", "replace"), ModeSimulate)
		if a, err = svc.Get(ctx, "fr-kept"); err != nil || a.Count != 5 || a.Version != 2 {
			t.Fatalf("a simulation changed an audience: %+v, %v", a, err)
		}
	})
}

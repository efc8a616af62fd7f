package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestStaging stages rows of sales (schemaModel) twice: the first time
// into an empty table, with a row whose shop is missing (rejected,
// sampled and dropped), a key staged twice (the later row wins) and a
// delete of a key the table does not hold; the second time into the
// filled table, by MERGE. Both stores.
func TestStaging(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		m, steps := schemaSteps(t, s.Schema())
		for _, st := range steps {
			for _, q := range st.SQL {
				if _, err := storetest.DB(s).ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := storetest.DB(s).ExecContext(ctx, `INSERT INTO shops VALUES ('a', 'Lyon')`); err != nil {
			t.Fatal(err)
		}
		sales, shop := m.Entity("sales"), m.Entity("sales").DeclaredLinks()[0]
		stage := func(rows ...[]any) (int64, *store.Staging) {
			st, err := s.Imports().Staging(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close(ctx) })
			id, err := st.Begin(ctx, "sales", "sales.csv", time.Now().UTC())
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Create(ctx, sales); err != nil {
				t.Fatal(err)
			}
			if n, err := st.Load(ctx, func() ([]any, error) {
				if len(rows) == 0 {
					return nil, nil
				}
				r := rows[0]
				rows = rows[1:]
				return r, nil
			}); err != nil || n == 0 {
				t.Fatalf("Load = %d, %v", n, err)
			}
			return id, st
		}

		id, st := stage(
			[]any{int64(2), false, int64(1), "a", "1.50"},
			[]any{int64(3), false, int64(2), "zz", "2.00"},
			[]any{int64(4), false, int64(1), "a", "3.25"},
			[]any{int64(5), true, int64(9), nil, nil},
		)
		if n, err := st.RejectOrphans(ctx, shop, m.Entity("shops"), "shop_id", "no shop"); err != nil || n != 1 {
			t.Fatalf("RejectOrphans = %d, %v; want 1", n, err)
		}
		var sampled []int64
		if err := st.SampleOrphans(ctx, shop, m.Entity("shops"), 10, func(line int64, value string) {
			if value != "zz" {
				t.Errorf("orphan value %q, want zz", value)
			}
			sampled = append(sampled, line)
		}); err != nil || len(sampled) != 1 || sampled[0] != 3 {
			t.Fatalf("SampleOrphans: lines %v, %v; want [3]", sampled, err)
		}
		if n, err := st.DropOrphans(ctx, shop, m.Entity("shops")); err != nil || n != 1 {
			t.Fatalf("DropOrphans = %d, %v; want 1", n, err)
		}
		got, err := st.Merge(ctx)
		if want := (store.Merged{Inserted: 1, Unchanged: 1, Superseded: 1}); err != nil || got != want {
			t.Fatalf("first Merge = %+v, %v; want %+v", got, err, want)
		}
		st.Drop(ctx)
		var rejects []store.ImportReject
		if err := s.Imports().Rejects(ctx, id, func(rj store.ImportReject) error { rejects = append(rejects, rj); return nil }); err != nil {
			t.Fatal(err)
		}
		if want := (store.ImportReject{Line: 3, Column: "shop_id", Value: "zz", Reason: "no shop"}); len(rejects) != 1 || rejects[0] != want {
			t.Fatalf("rejects %+v, want [%+v]", rejects, want)
		}

		_, st = stage(
			[]any{int64(2), false, int64(1), "a", "4.00"},
			[]any{int64(3), false, int64(5), "a", "1.00"},
			[]any{int64(4), true, int64(9), nil, nil},
		)
		got, err = st.Merge(ctx)
		if want := (store.Merged{Inserted: 1, Updated: 1, Unchanged: 1}); err != nil || got != want {
			t.Fatalf("second Merge = %+v, %v; want %+v", got, err, want)
		}
		var amount string
		if err := storetest.DB(s).QueryRowContext(ctx, `SELECT CAST(amount AS VARCHAR) FROM sales WHERE sale_id = 1`).Scan(&amount); err != nil || amount != "4.00" {
			t.Fatalf("sale 1's amount %q, %v; want 4.00", amount, err)
		}
	})
}

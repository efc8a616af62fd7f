package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestGenerated runs a query as the compilers' callers do: one row into
// typed and untyped destinations, every row in order, an error of the
// caller's function handed back as it is, and a failing query. Both
// stores.
func TestGenerated(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.DB.ExecContext(ctx, `CREATE TABLE people (id BIGINT, name VARCHAR)`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.ExecContext(ctx, `INSERT INTO people VALUES (1, 'ann'), (2, NULL), (3, 'cy')`); err != nil {
			t.Fatal(err)
		}
		g := s.Generated()
		var n int64
		if err := g.Row(ctx, `SELECT count(*) FROM people WHERE id > $1`, []any{int64(1)}, &n); err != nil || n != 2 {
			t.Fatalf("Row = %d, %v; want 2", n, err)
		}
		if err := g.Row(ctx, `SELECT id FROM people WHERE id > 9`, nil, &n); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Row of no row: err = %v, want ErrNotFound", err)
		}
		var ids []int64
		var names []any
		err := g.Rows(ctx, `SELECT id, name FROM people ORDER BY id`, nil, func(scan func(...any) error) error {
			var id int64
			var name any
			if err := scan(&id, &name); err != nil {
				return err
			}
			ids, names = append(ids, id), append(names, name)
			return nil
		})
		if err != nil || len(ids) != 3 || ids[2] != 3 || names[0] != "ann" || names[1] != nil {
			t.Fatalf("Rows: ids %v, names %v, %v", ids, names, err)
		}
		stop := errors.New("stop")
		calls := 0
		if err := g.Rows(ctx, `SELECT id FROM people`, nil, func(func(...any) error) error { calls++; return stop }); err != stop || calls != 1 {
			t.Fatalf("Rows stopped by fn: err = %v after %d calls; want fn's after 1", err, calls)
		}
		if err := g.Rows(ctx, `SELECT nothing FROM people`, nil, func(func(...any) error) error { return nil }); err == nil {
			t.Fatal("Rows of a bad query: no error")
		}
	})
}

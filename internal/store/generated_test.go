package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
		if _, err := storetest.DB(s).ExecContext(ctx, `CREATE TABLE people (id BIGINT, name VARCHAR)`); err != nil {
			t.Fatal(err)
		}
		if _, err := storetest.DB(s).ExecContext(ctx, `INSERT INTO people VALUES (1, 'ann'), (2, NULL), (3, 'cy')`); err != nil {
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
		// A table's columns from the catalog, in order; none for no table.
		cols, err := g.TableColumns(ctx, "people")
		if err != nil || len(cols) != 2 || cols[0].Name != "id" || cols[1].Name != "name" ||
			!strings.EqualFold(cols[0].DatabaseType, "bigint") {
			t.Fatalf("TableColumns = %+v, %v", cols, err)
		}
		if cols, err := g.TableColumns(ctx, "nonesuch"); err != nil || len(cols) != 0 {
			t.Fatalf("TableColumns of no table = %+v, %v", cols, err)
		}
		// Results hands each row with the result's columns and types.
		var seen []string
		err = g.Results(ctx, `SELECT CAST(id AS DECIMAL(10,2)) AS amount, name FROM people WHERE id = $1`, []any{int64(1)},
			func(cols []store.ResultColumn, scan func(...any) error) error {
				var amount, name any
				if err := scan(&amount, &name); err != nil {
					return err
				}
				seen = append(seen, cols[0].Name, strings.ToUpper(cols[0].DatabaseType), cols[1].Name, fmt.Sprint(name))
				return nil
			})
		if err != nil || len(seen) != 4 || seen[0] != "amount" || !(strings.HasPrefix(seen[1], "DECIMAL") || strings.HasPrefix(seen[1], "NUMERIC")) || seen[2] != "name" || seen[3] != "ann" {
			t.Fatalf("Results saw %v, %v", seen, err)
		}
		// Exec, and the push channel's device deactivation: only active
		// (or unknown) devices holding a dead token change.
		if _, err := g.Exec(ctx, `CREATE TABLE devices (token VARCHAR, active BOOLEAN)`); err != nil {
			t.Fatal(err)
		}
		if n, err := g.Exec(ctx, `INSERT INTO devices VALUES ('t1', true), ('t2', NULL), ('t3', false), ('t4', true)`); err != nil || n != 4 {
			t.Fatalf("Exec insert = %d, %v", n, err)
		}
		if n, err := g.DeactivateDevices(ctx, "devices", "token", "active", []string{"t1", "t2", "t3", "zz"}); err != nil || n != 2 {
			t.Fatalf("DeactivateDevices = %d, %v; want 2 (t1, t2)", n, err)
		}
		var active int64
		if err := g.Row(ctx, `SELECT count(*) FROM devices WHERE active`, nil, &active); err != nil || active != 1 {
			t.Fatalf("active devices left = %d, %v; want 1 (t4)", active, err)
		}
	})
}

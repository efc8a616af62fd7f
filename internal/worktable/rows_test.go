package worktable_test

import (
	"context"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
	"github.com/fanfare-dev/fanfare/internal/worktable"
)

// TestFileTablesAndRowsOfKeys runs load_file's table statements and the
// renderer's read by keys on both stores: the tables take a file's rows
// (a decimal kept as its text), and a read of two composite keys (given
// as text, as the renderer gives them) returns exactly their rows.
func TestFileTablesAndRowsOfKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		g := s.Generated()
		cols := []worktable.FileColumn{{Name: "shop", Type: datamodel.TypeString}, {Name: "n", Type: datamodel.TypeInteger}, {Name: "amount", Type: datamodel.TypeDecimal}}
		for _, stmt := range worktable.FileTables(s.Dialect, "w_out", "w_rejects", "ff_line", cols) {
			if _, err := g.Exec(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if _, err := g.Exec(ctx, `INSERT INTO w_out VALUES (2, 'a', 1, '10.50'), (3, 'a', 2, '1'), (4, 'b', 1, '7')`); err != nil {
			t.Fatal(err)
		}
		if _, err := g.Exec(ctx, `INSERT INTO w_rejects VALUES (5, 'n', 'x', 'not an integer')`); err != nil {
			t.Fatal(err)
		}
		var got []string
		err := g.Results(ctx, worktable.RowsOfKeys("w_out", []string{"shop", "n"}, 2), []any{"a", "2", "b", "1"},
			func(cols []store.ResultColumn, scan func(...any) error) error {
				var line, n int64
				var shop, amount string
				if err := scan(&line, &shop, &n, &amount); err != nil {
					return err
				}
				got = append(got, shop+":"+amount)
				return nil
			})
		if err != nil || len(got) != 2 || !(got[0] == "a:1" && got[1] == "b:7" || got[0] == "b:7" && got[1] == "a:1") {
			t.Fatalf("rows of keys (a,2) and (b,1) = %v, %v", got, err)
		}
	})
}

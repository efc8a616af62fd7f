package audience

import (
	"errors"
	"reflect"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestSaveTable(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		svcExec(t, s, `CREATE TABLE pop_fr AS SELECT customer_id FROM customers WHERE country = 'FR'`)
		svcExec(t, s, `CREATE TABLE pop_other AS SELECT customer_id FROM customers WHERE customer_id IN (3, 4, 6)`)
		members := func(name string) []int64 {
			t.Helper()
			tbl, err := svc.MemberTable(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			return svcMembers(t, s, tbl)
		}

		a, err := svc.SaveTable(ctx, "picked", "customers", "pop_fr", "")
		if err != nil {
			t.Fatal(err)
		}
		if a.Version != 1 || a.Count != 3 || a.Dimension != "customers" || string(a.Query) != `{"audience":"picked"}` {
			t.Fatalf("SaveTable = %+v (query %s)", a, a.Query)
		}
		if got := members("picked"); !reflect.DeepEqual(got, []int64{1, 2, 6}) {
			t.Fatalf("members = %v", got)
		}

		a, err = svc.SaveTable(ctx, "picked", "customers", "pop_other", SaveAppend)
		if err != nil {
			t.Fatal(err)
		}
		if a.Version != 2 || a.Count != 5 {
			t.Fatalf("append = %+v", a)
		}
		if got := members("picked"); !reflect.DeepEqual(got, []int64{1, 2, 3, 4, 6}) {
			t.Fatalf("members after append = %v", got)
		}

		// A refresh keeps the members saved from tables.
		if a, err = svc.Refresh(ctx, "picked"); err != nil || a.Count != 5 {
			t.Fatalf("Refresh = %+v, %v", a, err)
		}

		a, err = svc.SaveTable(ctx, "picked", "customers", "pop_other", SaveReplace)
		if err != nil {
			t.Fatal(err)
		}
		if a.Version != 4 || a.Count != 3 {
			t.Fatalf("replace = %+v", a)
		}
		if got := members("picked"); !reflect.DeepEqual(got, []int64{3, 4, 6}) {
			t.Fatalf("members after replace = %v", got)
		}

		if _, err := svc.SaveTable(ctx, "picked", "purchases", "pop_other", ""); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("SaveTable of another dimension = %v, want ErrInvalidRequest", err)
		}
		if _, err := svc.SaveTable(ctx, "bad name", "customers", "pop_fr", ""); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("SaveTable under a bad name = %v, want ErrInvalidRequest", err)
		}
		if _, err := svc.SaveTable(ctx, "x", "customers", "pop_fr", "merge"); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("SaveTable with mode merge = %v, want ErrInvalidRequest", err)
		}
	})
}

package audience

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// svcMembers returns the keys in a member table, in order.
func svcMembers(t *testing.T, s *store.Store, table string) []int64 {
	t.Helper()
	rows, err := storetest.DB(s).Query(`SELECT customer_id FROM ` + store.Quote(table) + ` ORDER BY customer_id`)
	if err != nil {
		t.Fatalf("read members of %s: %v", table, err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func svcTableExists(t *testing.T, s *store.Store, table string) bool {
	t.Helper()
	ok, err := s.TableExists(context.Background(), storetest.DB(s), table)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// svcVersionTables returns the member tables of an audience's versions.
func svcVersionTables(t *testing.T, ctx context.Context, svc *Service, name string) []string {
	t.Helper()
	vs, err := svc.Versions(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range vs {
		out = append(out, v.Table)
	}
	return out
}

func TestSaveListGet(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		a, err := svc.Save(ctx, "france", "Customers in France", svcQuery(t, `{"attr": "country", "op": "=", "value": "FR"}`))
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != "france" || a.Dimension != "customers" || a.Description != "Customers in France" ||
			a.Version != 1 || a.Count != 3 || a.ModelVersion != 1 || a.CreatedAt.IsZero() || !a.UpdatedAt.Equal(a.CreatedAt) {
			t.Fatalf("Save = %+v", a)
		}
		if got := string(a.Query); got != `{"attr":"country","op":"=","value":"FR"}` {
			t.Errorf("saved query = %s", got)
		}
		if _, err := svc.Save(ctx, "all", "", svcQuery(t, `{"and": []}`)); err != nil {
			t.Fatal(err)
		}

		got, err := svc.Get(ctx, "france")
		if err != nil || !reflect.DeepEqual(got, a) {
			t.Fatalf("Get = %+v, %v; want %+v", got, err, a)
		}
		list, err := svc.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Name != "all" || list[1].Name != "france" || list[0].Count != 6 ||
			string(list[0].Query) != `{"and":[]}` {
			t.Fatalf("List = %+v", list)
		}
		if members := svcMembers(t, s, svcVersionTables(t, ctx, svc, "france")[0]); !reflect.DeepEqual(members, []int64{1, 2, 6}) {
			t.Fatalf("members = %v", members)
		}
		if _, err := json.Marshal(list); err != nil {
			t.Fatal(err)
		}

		if _, err := svc.Get(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get of an unknown audience = %v, want ErrNotFound", err)
		}
		if _, err := svc.Save(ctx, "france", "", svcQuery(t, `{"and": []}`)); !errors.Is(err, ErrExists) {
			t.Errorf("Save under a taken name = %v, want ErrExists", err)
		}
	})
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"vip", true},
		{"VIP_2024-q1.fr", true},
		{"_draft", true},
		{strings.Repeat("a", MaxNameLength), true},
		{"", false},
		{strings.Repeat("a", MaxNameLength+1), false},
		{"has space", false},
		{"-flag", false},
		{".hidden", false},
		{"quote\"", false},
		{"été", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckName(tt.name)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidRequest)) {
				t.Fatalf("CheckName(%q) = %v, want ok %v", tt.name, err, tt.ok)
			}
		})
	}
}

func TestSaveRefusesBadInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		if _, err := svc.Save(ctx, "bad name", "", svcQuery(t, `{"and": []}`)); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("Save with a bad name = %v, want ErrInvalidRequest", err)
		}
		var ve *ValidationError
		if _, err := svc.Save(ctx, "x", "", svcQuery(t, `{"attr": "nope", "op": "is_null"}`)); !errors.As(err, &ve) {
			t.Errorf("Save with an invalid query = %v, want a *ValidationError", err)
		}
		if list, err := svc.List(ctx); err != nil || len(list) != 0 {
			t.Fatalf("List after refused saves = %+v, %v", list, err)
		}
	})
}

func TestSavedAudienceInQueries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		if _, err := svc.Save(ctx, "buyers", "", svcQuery(t, `{"link": "purchases"}`)); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			where string
			want  int64
		}{
			{"members", `{"audience": "buyers"}`, 3},
			{"members with a condition", `{"and": [{"audience": "buyers"}, {"attr": "country", "op": "=", "value": "FR"}]}`, 2},
			{"non-members", `{"not": {"audience": "buyers"}}`, 3},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := svc.Count(ctx, svcQuery(t, tt.where))
				if err != nil || got != tt.want {
					t.Fatalf("Count = %d, %v; want %d", got, err, tt.want)
				}
			})
		}

		// An audience built on another keeps the members it had when saved.
		if _, err := svc.Save(ctx, "french_buyers", "", svcQuery(t, `{"and": [{"audience": "buyers"}, {"attr": "country", "op": "=", "value": "FR"}]}`)); err != nil {
			t.Fatal(err)
		}
		_, c, err := svc.Prepare(ctx, svcQuery(t, `{"audience": "french_buyers"}`))
		if err != nil {
			t.Fatal(err)
		}
		query, args := c.SQL("count(*)", "")
		var n int64
		if err := storetest.DB(s).QueryRow(query, args...).Scan(&n); err != nil || n != 2 {
			t.Fatalf("count through Prepare = %d, %v; want 2", n, err)
		}
		table, err := svc.MemberTables(ctx)("french_buyers")
		if err != nil || table != svcVersionTables(t, ctx, svc, "french_buyers")[0] {
			t.Fatalf("MemberTables = %q, %v", table, err)
		}
		if _, err := svc.MemberTable(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("MemberTable of an unknown audience = %v, want ErrNotFound", err)
		}
	})
}

func TestRefreshAppendAndDelete(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, svc := svcSetup(t, s)
		q := svcQuery(t, `{"attr": "country", "op": "=", "value": {"param": "c"}}`)
		q.Params = map[string]any{"c": "FR"}
		if _, err := svc.Save(ctx, "fr", "", q); err != nil {
			t.Fatal(err)
		}

		// Refresh after the data changed: a new version, the old one kept.
		svcInsertCustomer(t, s, svcCustomer{id: 7, email: "g@x.fr", country: "FR"})
		svcExec(t, s, `DELETE FROM customers WHERE customer_id = 2`)
		a, err := svc.Refresh(ctx, "fr")
		if err != nil {
			t.Fatal(err)
		}
		if a.Version != 2 || a.Count != 3 || !reflect.DeepEqual(a.Params, map[string]any{"c": "FR"}) {
			t.Fatalf("Refresh = %+v", a)
		}
		tables := svcVersionTables(t, ctx, svc, "fr")
		if got := svcMembers(t, s, tables[0]); !reflect.DeepEqual(got, []int64{1, 2, 6}) {
			t.Errorf("version 1 members = %v", got)
		}
		if got := svcMembers(t, s, tables[1]); !reflect.DeepEqual(got, []int64{1, 6, 7}) {
			t.Errorf("version 2 members = %v", got)
		}

		// Append: the previous members and the new query's rows.
		a, err = svc.Append(ctx, "fr", svcQuery(t, `{"attr": "country", "op": "=", "value": "BE"}`))
		if err != nil {
			t.Fatal(err)
		}
		if a.Version != 3 || a.Count != 4 {
			t.Fatalf("Append = %+v", a)
		}
		if got := string(a.Query); got != `{"or":[{"attr":"country","op":"=","value":{"param":"c"}},{"attr":"country","op":"=","value":"BE"}]}` {
			t.Errorf("appended query = %s", got)
		}
		vs, err := svc.Versions(ctx, "fr")
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		var current []int64
		for _, v := range vs {
			kinds = append(kinds, v.Kind)
			if v.Current {
				current = append(current, v.Version)
			}
		}
		if !reflect.DeepEqual(kinds, []string{KindSnapshot, KindSnapshot, KindAppend}) || !reflect.DeepEqual(current, []int64{3}) {
			t.Fatalf("versions: kinds %v, current %v", kinds, current)
		}
		if got := svcMembers(t, s, vs[2].Table); !reflect.DeepEqual(got, []int64{1, 3, 6, 7}) {
			t.Errorf("version 3 members = %v", got)
		}

		// A refresh after an append re-runs both queries.
		svcInsertCustomer(t, s, svcCustomer{id: 8, email: "h@x.be", country: "BE"})
		if a, err = svc.Refresh(ctx, "fr"); err != nil || a.Version != 4 || a.Count != 5 {
			t.Fatalf("Refresh after Append = %+v, %v", a, err)
		}

		// An append must agree with the audience's parameters and dimension.
		bad := svcQuery(t, `{"attr": "country", "op": "=", "value": {"param": "c"}}`)
		bad.Params = map[string]any{"c": "US"}
		if _, err := svc.Append(ctx, "fr", bad); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("Append with a clashing parameter = %v, want ErrInvalidRequest", err)
		}
		other := &Query{Dimension: "purchases", Where: &Node{And: []*Node{}}}
		if _, err := svc.Append(ctx, "fr", other); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("Append of another dimension = %v, want ErrInvalidRequest", err)
		}

		// Versions: the current one stays; others go with their table.
		if err := svc.DeleteVersion(ctx, "fr", 4); !errors.Is(err, ErrCurrentVersion) {
			t.Errorf("DeleteVersion of the current version = %v, want ErrCurrentVersion", err)
		}
		if err := svc.DeleteVersion(ctx, "fr", 9); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteVersion of a missing version = %v, want ErrNotFound", err)
		}
		all := svcVersionTables(t, ctx, svc, "fr")
		if err := svc.DeleteVersion(ctx, "fr", 1); err != nil {
			t.Fatal(err)
		}
		if svcTableExists(t, s, all[0]) {
			t.Errorf("table %s of a deleted version remains", all[0])
		}
		if got := svcVersionTables(t, ctx, svc, "fr"); !reflect.DeepEqual(got, all[1:]) {
			t.Errorf("versions after DeleteVersion = %v", got)
		}

		// Delete: every table and the catalogue rows.
		if err := svc.Delete(ctx, "fr"); err != nil {
			t.Fatal(err)
		}
		for _, table := range all {
			if svcTableExists(t, s, table) {
				t.Errorf("table %s remains after Delete", table)
			}
		}
		if _, err := svc.Get(ctx, "fr"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get after Delete = %v, want ErrNotFound", err)
		}
		if _, err := svc.Versions(ctx, "fr"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Versions after Delete = %v, want ErrNotFound", err)
		}
		if err := svc.Delete(ctx, "fr"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second Delete = %v, want ErrNotFound", err)
		}
		if _, err := svc.Refresh(ctx, "fr"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Refresh after Delete = %v, want ErrNotFound", err)
		}
		// The name is free again.
		if a, err := svc.Save(ctx, "fr", "", svcQuery(t, `{"and": []}`)); err != nil || a.Version != 1 || a.Count != 7 {
			t.Fatalf("Save after Delete = %+v, %v", a, err)
		}
	})
}

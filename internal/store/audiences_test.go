package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestAudiences checks the saved audiences' catalogue: names are unique,
// versions number on from the last, a member table holds distinct keys
// (with the previous version's on a union), only the expected current
// version is replaced, and deleting drops the member tables.
func TestAudiences(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := storetest.DB(s).ExecContext(ctx, `CREATE TABLE people (id BIGINT)`); err != nil {
			t.Fatal(err)
		}
		if _, err := storetest.DB(s).ExecContext(ctx, `INSERT INTO people VALUES (1), (2), (2), (3)`); err != nil {
			t.Fatal(err)
		}
		keys := []*datamodel.Attribute{{Name: "id", Type: datamodel.TypeInteger}}
		t0 := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
		var v1, v2 store.AudienceVersion
		tx := func(fn func(a store.Audiences) error) error {
			return s.InTx(ctx, func(tx *store.Tx) error { return fn(s.Audiences().On(tx)) })
		}
		err := tx(func(a store.Audiences) error {
			id, err := a.Create(ctx, store.AudienceRecord{Name: "b_vip", Dimension: "people", Description: "d", CreatedAt: t0})
			if err != nil {
				return err
			}
			v1, err = a.AddVersion(ctx, store.AudienceVersion{AudienceID: id, Kind: "snapshot", Query: `{"and":[]}`, Params: "{}", CreatedAt: t0},
				store.Members{Keys: keys, Query: `SELECT id FROM people WHERE id < $1`, Args: []any{2}})
			return err
		})
		if err != nil || v1.Version != 1 || v1.Count != 1 || v1.Table == "" {
			t.Fatalf("version 1 = %+v, %v", v1, err)
		}
		err = tx(func(a store.Audiences) error {
			_, err := a.Create(ctx, store.AudienceRecord{Name: "b_vip", Dimension: "people", CreatedAt: t0})
			return err
		})
		if !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("create under a taken name: %v, want ErrDuplicate", err)
		}
		t1 := t0.Add(time.Hour)
		err = tx(func(a store.Audiences) error {
			v2, err = a.AddVersion(ctx, store.AudienceVersion{AudienceID: v1.AudienceID, Kind: "append", Query: "{}", Params: "{}", CreatedAt: t1},
				store.Members{Keys: keys, Table: "people", Union: v1.Table})
			if err != nil {
				return err
			}
			return a.MakeCurrent(ctx, v1.AudienceID, 1, v2.Version, t1)
		})
		if err != nil || v2.Version != 2 || v2.Count != 3 {
			t.Fatalf("version 2 = %+v, %v, want 3 distinct members", v2, err)
		}
		aud := s.Audiences()
		if err := aud.MakeCurrent(ctx, v1.AudienceID, 1, 3, t1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("make current from a stale version: %v, want ErrNotFound", err)
		}
		got, err := aud.Get(ctx, "b_vip")
		if err != nil || got.Current.Version != 2 || !got.Current.Current || got.Description != "d" || !got.UpdatedAt.Equal(t1) || !got.CreatedAt.Equal(t0) {
			t.Fatalf("get = %+v, %v", got, err)
		}
		if v, err := aud.Version(ctx, "b_vip", 0); err != nil || v.Version != 2 || v.Dimension != "people" || v.Table != v2.Table {
			t.Fatalf("current version = %+v, %v", v, err)
		}
		if v, err := aud.Version(ctx, "b_vip", 1); err != nil || v.Current || v.Count != 1 {
			t.Fatalf("version 1 = %+v, %v", v, err)
		}
		if tbl, err := aud.MemberTable(ctx, "b_vip"); err != nil || tbl != v2.Table {
			t.Fatalf("member table = %q, %v", tbl, err)
		}
		cat, err := aud.Catalogue(ctx)
		if err != nil || len(cat) != 1 || cat["b_vip"].Table != v2.Table || cat["b_vip"].Dimension != "people" {
			t.Fatalf("catalogue = %+v, %v", cat, err)
		}
		vs, err := aud.Versions(ctx, "b_vip")
		if err != nil || len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 {
			t.Fatalf("versions = %+v, %v", vs, err)
		}
		for _, fn := range []func() error{
			func() error { _, err := aud.Get(ctx, "nope"); return err },
			func() error { _, err := aud.Version(ctx, "b_vip", 9); return err },
			func() error { _, err := aud.Versions(ctx, "nope"); return err },
			func() error { _, err := aud.MemberTable(ctx, "nope"); return err },
			func() error {
				return tx(func(a store.Audiences) error { return a.DeleteVersion(ctx, v1.AudienceID, 9) })
			},
		} {
			if err := fn(); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		}
		if err := tx(func(a store.Audiences) error { return a.DeleteVersion(ctx, v1.AudienceID, 1) }); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.TableExists(ctx, storetest.DB(s), v1.Table); ok {
			t.Fatalf("member table %s of the deleted version is still there", v1.Table)
		}
		err = tx(func(a store.Audiences) error {
			id, err := a.Create(ctx, store.AudienceRecord{Name: "a_all", Dimension: "people", CreatedAt: t0})
			if err != nil {
				return err
			}
			_, err = a.AddVersion(ctx, store.AudienceVersion{AudienceID: id, Kind: "snapshot", Query: "{}", Params: "{}", CreatedAt: t0},
				store.Members{Keys: keys, Table: "people"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		list, err := aud.List(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "a_all" || list[1].Name != "b_vip" {
			t.Fatalf("list = %+v, %v", list, err)
		}
		if err := tx(func(a store.Audiences) error { return a.Delete(ctx, v1.AudienceID) }); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.TableExists(ctx, storetest.DB(s), v2.Table); ok {
			t.Fatalf("member table %s of the deleted audience is still there", v2.Table)
		}
		if list, err := aud.List(ctx); err != nil || len(list) != 1 {
			t.Fatalf("list after delete = %+v, %v", list, err)
		}
	})
}

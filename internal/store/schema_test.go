package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const schemaModel = `entities:
  shops:
    key: shop_id
    attributes: {shop_id: string, city: string}
  sales:
    key: sale_id
    attributes: {sale_id: integer, shop_id: string, amount: "decimal(8,2)"}
    links: {shop: {entity: shops, columns: [shop_id], reverse: sales}}
`

// schemaSteps are the steps creating every table of schemaModel.
func schemaSteps(t *testing.T, sc store.Schema) (*datamodel.Model, []store.SchemaStep) {
	t.Helper()
	m, err := datamodel.Parse([]byte(schemaModel))
	if err != nil {
		t.Fatal(err)
	}
	var steps []store.SchemaStep
	for _, e := range m.Entities {
		steps = append(steps, store.SchemaStep{Description: "create entity " + e.Name, SQL: sc.CreateTable(e)})
	}
	return m, steps
}

func tableExists(t *testing.T, s *store.Store, name string) bool {
	t.Helper()
	ok, err := s.TableExists(context.Background(), storetest.DB(s), name)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestSchemaVersions: the model versions an Apply records, read back in
// order; a version that does not exist is ErrNotFound.
func TestSchemaVersions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sc := s.Schema()
		if v, err := sc.LatestVersion(ctx); err != nil || v != 0 {
			t.Fatalf("LatestVersion on an empty store = %d, %v", v, err)
		}
		if _, err := sc.Document(ctx, 1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Document(1) = %v, want ErrNotFound", err)
		}
		_, steps := schemaSteps(t, sc)
		at := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
		v1, err := sc.Apply(ctx, 0, steps, store.NewModelVersion{Document: schemaModel, Format: "yaml", Summary: "first", AppliedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		v2, err := sc.Apply(ctx, v1, nil, store.NewModelVersion{Document: "{}", Format: "json", Summary: "second", AppliedAt: at.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if latest, err := sc.LatestVersion(ctx); err != nil || latest != v2 || v2 <= v1 {
			t.Fatalf("LatestVersion = %d, %v; applied %d then %d", latest, err, v1, v2)
		}
		if doc, err := sc.Document(ctx, v1); err != nil || doc != schemaModel {
			t.Fatalf("Document(%d) = %q, %v", v1, doc, err)
		}
		vs, err := sc.Versions(ctx)
		if err != nil || len(vs) != 2 {
			t.Fatalf("Versions = %+v, %v", vs, err)
		}
		if vs[0].Version != v1 || vs[0].Summary != "first" || !vs[0].AppliedAt.Equal(at) || vs[1].Version != v2 {
			t.Errorf("Versions = %+v", vs)
		}
		if !tableExists(t, s, "shops") || !tableExists(t, s, "sales") {
			t.Error("Apply did not create the tables")
		}
	})
}

// TestSchemaApplyIsAllOrNothing: a plan made from a version that is no
// longer the latest, or one whose statement fails, changes nothing and
// records no version.
func TestSchemaApplyIsAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sc := s.Schema()
		_, steps := schemaSteps(t, sc)
		v := store.NewModelVersion{Document: schemaModel, Format: "yaml", Summary: "s", AppliedAt: time.Now().UTC()}
		if _, err := sc.Apply(ctx, 7, steps, v); !errors.Is(err, store.ErrModelChanged) {
			t.Fatalf("Apply from a stale version = %v, want ErrModelChanged", err)
		}
		bad := append(steps[:1:1], store.SchemaStep{Description: "break", SQL: []string{"ALTER TABLE nowhere ADD COLUMN x INTEGER"}})
		if _, err := sc.Apply(ctx, 0, bad, v); err == nil || !strings.HasPrefix(err.Error(), "break: ") {
			t.Fatalf("Apply with a failing step = %v", err)
		}
		if tableExists(t, s, "shops") {
			t.Error("a failed Apply left a table")
		}
		if latest, err := sc.LatestVersion(ctx); err != nil || latest != 0 {
			t.Errorf("LatestVersion = %d, %v after failed applies", latest, err)
		}
	})
}

// TestSchemaDDL: the statements run on each store, with the primary keys
// and link indexes the dialect wants, and the counts that measure what a
// destructive change loses.
func TestSchemaDDL(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sc := s.Schema()
		m, steps := schemaSteps(t, sc)
		if _, err := sc.Apply(ctx, 0, steps, store.NewModelVersion{Document: schemaModel, Format: "yaml", AppliedAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		sales := m.Entity("sales")
		if n := len(sc.CreateTable(sales)); (n == 2) != s.Dialect.IndexLinks() {
			t.Errorf("CreateTable(sales) has %d statements; the dialect indexes links: %v", n, s.Dialect.IndexLinks())
		}
		run := func(stmts ...string) {
			t.Helper()
			for _, q := range stmts {
				if _, err := storetest.DB(s).ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
		}
		run(`INSERT INTO shops (shop_id, city) VALUES ('a', 'Lyon'), ('b', NULL), ('c', 'Nantes')`)
		if n, err := sc.CountRows(ctx, "shops"); err != nil || n != 3 {
			t.Errorf("CountRows = %d, %v", n, err)
		}
		if n, err := sc.CountValues(ctx, "shops", "city"); err != nil || n != 2 {
			t.Errorf("CountValues = %d, %v", n, err)
		}
		// Every builder's statement runs: add, retype, rekey, reindex, drop.
		zip := &datamodel.Attribute{Name: "zip", Type: datamodel.TypeString}
		run(sc.AddColumn("shops", zip))
		run(`UPDATE shops SET zip = '69001'`)
		zip.Type = datamodel.TypeInteger
		run(sc.RetypeColumn("shops", zip))
		shops := *m.Entity("shops")
		shops.Key = []string{"shop_id", "zip"}
		run(sc.ChangeKey(&shops, []string{"shop_id"})...)
		link := sales.Link("shop")
		run(sc.DropLinkIndex("sales", link)...)
		run(sc.CreateLinkIndex("sales", link)...)
		run(sc.DropColumn("shops", "zip"), sc.DropTable("sales"))
		if tableExists(t, s, "sales") {
			t.Error("sales not dropped")
		}
	})
}

package service_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

func TestModelOperations(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		ctx, svc := im.ctx, im.svc
		_, err := svc.Model(ctx, 0)
		wantIs(t, "model before any", err, store.ErrNotFound)

		v := got(svc.ValidateModel(ctx, []byte(model))).must(t)
		if !v.Valid || strings.Join(v.Entities, ",") != "customers" {
			t.Errorf("validate: %+v", v)
		}
		var verr *datamodel.ValidationError
		_, err = svc.ValidateModel(ctx, []byte("entities:\n  c:\n    key: id\n    attributes:\n      id: strng\n"))
		wantAs(t, "invalid model", err, &verr)

		dry := got(svc.ApplyModel(ctx, []byte(model), schema.ApplyOptions{DryRun: true})).must(t)
		if dry.Version != 0 || len(dry.Changes) == 0 {
			t.Errorf("dry run: %+v", dry)
		}
		res := got(svc.ApplyModel(ctx, []byte(model), schema.ApplyOptions{})).must(t)
		if res.Version != 1 || res.Unchanged {
			t.Errorf("apply: %+v", res)
		}
		var derr *schema.DestructiveError
		_, err = svc.ApplyModel(ctx, []byte(strings.Replace(model, "      country: string\n", "", 1)), schema.ApplyOptions{})
		wantAs(t, "destructive change", err, &derr)

		cur := got(svc.Model(ctx, 0)).must(t)
		if cur.Version != 1 || cur.Model == nil || !strings.Contains(cur.Document, "customers") {
			t.Errorf("model: %+v", cur)
		}
		if old := got(svc.Model(ctx, 1)).must(t); old.Version != 1 || !strings.Contains(old.Document, "customer_id") {
			t.Errorf("model version 1: %+v", old)
		}
		_, err = svc.Model(ctx, 9)
		wantIs(t, "unknown version", err, store.ErrNotFound)
		if h := got(svc.ModelHistory(ctx)).must(t); len(h) != 1 || h[0].Version != 1 {
			t.Errorf("history: %+v", h)
		}
	})
}

// TestEntityRows counts each entity's rows, exactly, after imports; before
// any model there is nothing to count.
func TestEntityRows(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		ctx, svc := im.ctx, im.svc
		_, err := svc.Entities(ctx)
		wantIs(t, "entities before a model", err, store.ErrNotFound)
		const twoEntities = model + `  purchases:
    key: purchase_id
    attributes:
      purchase_id: integer
      customer_id: integer
    links:
      customer: {entity: customers, reverse: purchases}
`
		got(svc.ApplyModel(ctx, []byte(twoEntities), schema.ApplyOptions{})).must(t)
		got(svc.Import(ctx, "customers", "c.csv", strings.NewReader(customers), ingest.Options{MaxErrors: -1})).must(t)
		got(svc.Import(ctx, "purchases", "p.csv", strings.NewReader("purchase_id,customer_id\n1,1\n2,1\n3,2\n4,3\n5,3\n"), ingest.Options{MaxErrors: -1})).must(t)
		res := got(svc.Entities(ctx)).must(t)
		want := []schema.EntityRows{{Name: "customers", Rows: 3, Targeting: true}, {Name: "purchases", Rows: 5}}
		if res.ModelVersion != 1 || !slices.Equal(res.Entities, want) {
			t.Errorf("entities: %+v, want version 1 and %+v", res, want)
		}
	})
}

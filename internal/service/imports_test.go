package service_test

import (
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
)

func TestImportOperations(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		ctx, svc := im.ctx, im.svc
		_, err := svc.Import(ctx, "customers", "c.csv", strings.NewReader(customers), ingest.Options{MaxErrors: -1})
		wantIs(t, "import before a model", err, store.ErrNotFound)
		got(svc.ApplyModel(ctx, []byte(model), schema.ApplyOptions{})).must(t)

		sum := got(svc.Import(ctx, "customers", "c.csv", strings.NewReader(customers), ingest.Options{MaxErrors: -1})).must(t)
		if sum.Status != ingest.StatusCompleted || sum.Inserted != 3 || sum.ImportID == 0 {
			t.Errorf("import: %+v", sum)
		}
		bad := "customer_id,email,country\n4,d@example.com,FR\nfour,e@example.com,DE\n"
		sum = got(svc.Import(ctx, "customers", "bad.csv", strings.NewReader(bad), ingest.Options{MaxErrors: -1})).must(t)
		if sum.Status != ingest.StatusCompletedWithRejects || sum.Inserted != 1 || sum.Rejected != 1 {
			t.Errorf("import with a reject: %+v", sum)
		}
		got := got(svc.ImportSummary(ctx, sum.ImportID)).must(t)
		if got.ImportID != sum.ImportID || got.Rejected != 1 || got.Entity != "customers" {
			t.Errorf("summary: %+v", got)
		}
		var rejects []ingest.Reject
		err = svc.Rejects(ctx, sum.ImportID, func(r ingest.Reject) error { rejects = append(rejects, r); return nil })
		if err != nil || len(rejects) != 1 || rejects[0].Line != 3 {
			t.Errorf("rejects: %+v, %v", rejects, err)
		}

		_, err = svc.ImportSummary(ctx, 999)
		wantIs(t, "unknown import", err, store.ErrNotFound)
		err = svc.Rejects(ctx, 999, func(ingest.Reject) error { return nil })
		wantIs(t, "rejects of an unknown import", err, store.ErrNotFound)
		_, err = svc.Import(ctx, "", "c.csv", strings.NewReader(customers), ingest.Options{MaxErrors: -1})
		wantIs(t, "no entity", err, service.ErrBadRequest)
		_, err = svc.Import(ctx, "customers", "c.csv", strings.NewReader("customer_id\nx\n"), ingest.Options{MaxErrors: 0})
		wantIs(t, "too many errors", err, ingest.ErrTooManyErrors)
		_, err = svc.Import(ctx, "nonesuch", "c.csv", strings.NewReader(customers), ingest.Options{MaxErrors: -1})
		wantIs(t, "an unknown entity", err, ingest.ErrUnknownEntity)
		var inErr *ingest.InputError
		_, err = svc.Import(ctx, "customers", "c.csv", strings.NewReader("nonesuch\n1\n"), ingest.Options{MaxErrors: -1})
		wantAs(t, "bad header", err, &inErr)
	})
}

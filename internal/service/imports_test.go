package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

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
		status := got(svc.ImportStatus(ctx, sum.ImportID)).must(t)
		if status.ImportID != sum.ImportID || status.Rejected != 1 || status.Entity != "customers" {
			t.Errorf("summary: %+v", status)
		}
		var rejects []ingest.Reject
		err = svc.Rejects(ctx, sum.ImportID, func(r ingest.Reject) error { rejects = append(rejects, r); return nil })
		if err != nil || len(rejects) != 1 || rejects[0].Line != 3 {
			t.Errorf("rejects: %+v, %v", rejects, err)
		}

		// In the background: the answer is the running import, which
		// ends done, its rejects reported; the history lists it first.
		job := got(svc.ImportStart(ctx, "customers", "more.csv", strings.NewReader(bad+"5,f@example.com,BE\n"), ingest.Options{MaxErrors: -1})).must(t)
		if job.ImportID == 0 || job.Entity != "customers" || job.StartedAt.IsZero() {
			t.Errorf("import started: %+v", job)
		}
		job = waitImport(t, svc, job.ImportID)
		if job.State != ingest.StateDone || job.Status != ingest.StatusCompletedWithRejects || job.Updated != 1 || job.Inserted != 1 || job.Rejected != 1 ||
			len(job.Rejects) != 1 || job.Rejects[0].Line != 3 || job.Rejects[0].Column != "customer_id" || job.Rejects[0].Value != "four" ||
			job.Progress.Rows != 3 || job.Progress.Size == 0 || job.Progress.Bytes != job.Progress.Size || job.FinishedAt == nil {
			t.Errorf("import ended: %+v", job)
		}
		history := got(svc.Imports(ctx, 2)).must(t)
		if len(history) != 2 || history[0].ImportID != job.ImportID || history[1].ImportID != sum.ImportID {
			t.Errorf("history: %+v", history)
		}
		job = waitImport(t, svc, got(svc.ImportStart(ctx, "customers", "c.csv", strings.NewReader("customer_id\nx\n"), ingest.Options{MaxErrors: 0})).must(t).ImportID)
		if job.State != ingest.StateFailed || job.ErrorKind != ingest.KindTooManyErrors {
			t.Errorf("import over max_errors: %+v", job)
		}
		_, err = svc.ImportStart(ctx, "nonesuch", "c.csv", strings.NewReader(customers), ingest.Options{MaxErrors: -1})
		wantIs(t, "an unknown entity, in the background", err, ingest.ErrUnknownEntity)

		_, err = svc.ImportStatus(ctx, 999)
		wantIs(t, "unknown import", err, store.ErrNotFound)
		err = svc.Rejects(ctx, 999, func(ingest.Reject) error { return nil })
		wantIs(t, "rejects of an unknown import", err, store.ErrNotFound)
		_, err = svc.Import(ctx, "", "c.csv", strings.NewReader(customers), ingest.Options{MaxErrors: -1})
		wantIs(t, "no entity", err, service.ErrBadRequest)
		_, err = svc.Import(ctx, "customers", "c.csv", strings.NewReader("customer_id\nx\n"), ingest.Options{MaxErrors: 0})
		wantIs(t, "too many errors", err, ingest.ErrTooManyErrors)
		sum, err = svc.Import(ctx, "customers", "c.csv", strings.NewReader("customer_id\nx\ny\n"), ingest.Options{MaxErrors: -1})
		wantIs(t, "every row rejected", err, ingest.ErrNothingLoaded)
		if sum == nil || sum.Status != ingest.StatusFailed || sum.Rejected != 2 {
			t.Errorf("the summary of an import that loaded nothing: %+v", sum)
		}
		_, err = svc.Import(ctx, "nonesuch", "c.csv", strings.NewReader(customers), ingest.Options{MaxErrors: -1})
		wantIs(t, "an unknown entity", err, ingest.ErrUnknownEntity)
		var inErr *ingest.InputError
		_, err = svc.Import(ctx, "customers", "c.csv", strings.NewReader("nonesuch\n1\n"), ingest.Options{MaxErrors: -1})
		wantAs(t, "bad header", err, &inErr)
	})
}

// waitImport follows an import until it is no longer running.
func waitImport(t *testing.T, svc service.Service, id int64) *ingest.Job {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		job, err := svc.ImportStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if job.State != ingest.StateRunning {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %d still running: %+v", id, job)
		}
	}
}

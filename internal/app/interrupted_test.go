package app

import (
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestKilledImportIsInterrupted kills a real server in the middle of an
// import (its upload never ends) and starts another: the import must read
// interrupted, not running for ever. On PostgreSQL a node that starts
// while the import's own node lives must leave it running.
func TestKilledImportIsInterrupted(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	bin := buildFanfare(t)
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			cfg := storetest.Config(t, backend)
			dir := t.TempDir()
			var flags []string
			if cfg.DataDir != "" {
				dir = cfg.DataDir
			} else {
				flags = []string{"--database-url", cfg.DatabaseURL}
			}
			if code, out, errs := run(t, append(append([]string{"--data-dir", dir}, flags...), "model", "apply", "testdata/model.yaml")...); code != 0 {
				t.Fatalf("apply: %s %s", out, errs)
			}
			var logs processLogs
			owner, c := startServer(t, bin, dir, &logs, nil, flags...)
			pr, pw := io.Pipe()
			defer pw.Close()
			go c.Import(context.Background(), "customers", "customers.csv", pr, ingest.Options{MaxErrors: -1})
			if _, err := io.WriteString(pw, "customer_id,email,tier\n1,ann@example.com,gold\n"); err != nil {
				t.Fatal(err)
			}
			waitImport(t, c, 1, ingest.StatusRunning)

			if cfg.DatabaseURL != "" {
				// Another node starting while the owner lives.
				other, oc := startServer(t, bin, t.TempDir(), &logs, nil, flags...)
				if sum := waitImport(t, oc, 1, ingest.StatusRunning); sum.Entity != "customers" {
					t.Fatalf("import seen from another node: %+v", sum)
				}
				other.Process.Signal(syscall.SIGTERM)
				other.Wait()
			}
			owner.Process.Signal(syscall.SIGKILL)
			owner.Wait()

			next := dir
			if cfg.DatabaseURL != "" {
				next = t.TempDir() // a node of its own: the dead one need not come back
			}
			srv, c := startServer(t, bin, next, &logs, nil, flags...)
			defer func() { srv.Process.Signal(syscall.SIGTERM); srv.Wait() }()
			sum := waitImport(t, c, 1, ingest.StatusInterrupted)
			if sum.Entity != "customers" || sum.Source != "customers.csv" {
				t.Fatalf("interrupted import: %+v", sum)
			}
		})
	}
}

// waitImport polls an import until it has the status.
func waitImport(t *testing.T, c *client.Client, id int64, status string) *ingest.Summary {
	t.Helper()
	var last *ingest.Summary
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		job, err := c.ImportStatus(t.Context(), id)
		if err == nil && job.Status == status {
			return &job.Summary
		}
		if job != nil {
			last = &job.Summary
		}
	}
	t.Fatalf("import %d is %+v, want %s", id, last, status)
	return nil
}

package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/demo"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func customers() int {
	if n, err := strconv.Atoi(os.Getenv("FANFARE_BENCH_CUSTOMERS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// demoData generates (once, cached) the demo files for n customers.
func demoData(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join("data", fmt.Sprintf("demo-%d", n))
	if _, err := os.Stat(filepath.Join(dir, "done")); err == nil {
		return dir
	}
	start := time.Now()
	if _, err := demo.Generate(dir, demo.Options{Customers: n, Seed: 1}, nil); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "done"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated demo data for %d customers in %s", n, time.Since(start).Round(time.Millisecond))
	return dir
}

// BenchmarkImport loads the whole demo directory into a fresh store of each
// backend and reports rows/s overall and per entity.
func BenchmarkImport(b *testing.B) {
	n := customers()
	dir := demoData(b, n)
	m, err := datamodel.Parse(demo.Model())
	if err != nil {
		b.Fatal(err)
	}
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				s := storetest.Open(b, backend)
				if _, err := schema.Apply(context.Background(), s, demo.Model(), schema.ApplyOptions{}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				var rows int64
				start := time.Now()
				for _, e := range m.LoadOrder() {
					sum := importOne(b, s, m, e.Name, filepath.Join(dir, e.Name+".csv"))
					rows += sum.Read
					b.ReportMetric(sum.RowsPerSecond, e.Name+"_rows/s")
					b.Logf("%s %s: %d rows in %.2fs = %.0f rows/s (stage %.2fs, links %.2fs, merge %.2fs)", backend, e.Name, sum.Read, sum.Seconds, sum.RowsPerSecond,
						sum.Phases.Stage, sum.Phases.Check, sum.Phases.Merge)
				}
				secs := time.Since(start).Seconds()
				b.ReportMetric(float64(rows)/secs, "rows/s")
				b.ReportMetric(float64(rows), "rows")
				b.ReportMetric(maxRSSMB(), "peak_rss_MB")
				b.StopTimer()
				s.Close()
			}
		})
	}
}

func importOne(b *testing.B, s *store.Store, m *datamodel.Model, entity, path string) *ingest.Summary {
	f, format, err := ingest.OpenFile(path, ingest.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sum, err := ingest.Import(context.Background(), s, m, entity, filepath.Base(path), f, ingest.Options{Format: format, MaxErrors: 0})
	if err != nil {
		b.Fatalf("import %s: %v", entity, err)
	}
	return sum
}

// maxRSSMB is the process's peak resident memory so far, in MB: the
// streaming import must not grow with file size.
func maxRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

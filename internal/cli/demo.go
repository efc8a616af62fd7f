package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/demo"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
)

// DemoCmd creates the retail demo.
type DemoCmd struct {
	Customers int    `default:"10000" help:"Customers to generate (purchases ≈ 10 per customer)."`
	Seed      int64  `default:"1" help:"Random seed: the same seed and size give the same data."`
	Keep      string `help:"Keep the generated CSV files in this directory." type:"path"`
}

// Run applies the demo model and loads generated data.
func (c *DemoCmd) Run(ctx context.Context, g *Globals) error {
	b, err := g.creatingBackend(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	return RunDemo(ctx, g, b, *c)
}

// RunDemo applies the demo model and loads generated data through b
// (serve --demo loads it so into a store without a model).
func RunDemo(ctx context.Context, g *Globals, b Backend, c DemoCmd) error {
	res, err := b.ApplyModel(ctx, demo.Model(), schema.ApplyOptions{})
	if err != nil {
		return fmt.Errorf("apply the demo model: %w", err)
	}
	if !res.Unchanged {
		g.log.Info("demo model applied", "version", res.Version, "changes", len(res.Changes))
	}
	dir := c.Keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "fanfare-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	start := time.Now()
	counts, err := demo.Generate(dir, demo.Options{Customers: c.Customers, Seed: c.Seed}, nil)
	if err != nil {
		return fmt.Errorf("generate demo data: %w", err)
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	g.log.Info("demo data generated", "customers", c.Customers, "rows", total, "seconds", time.Since(start).Seconds())
	m, err := datamodel.Parse(demo.Model())
	if err != nil {
		return err
	}
	jobs, err := dirJobs(m, dir)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		sum, err := importFile(ctx, g, b, j.entity, j.path, ingest.Options{MaxErrors: 0})
		if err != nil {
			return fmt.Errorf("load %s: %w", filepath.Base(j.path), err)
		}
		g.log.Info("demo data loaded", "entity", sum.Entity, "rows", sum.Inserted+sum.Updated, "rows_per_second", int64(sum.RowsPerSecond))
	}
	fmt.Fprintf(g.stdout, "demo ready in %s: %d rows (%s)\n", b.Where(), total, time.Since(start).Round(time.Millisecond))
	return nil
}

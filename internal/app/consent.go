package app

import (
	"context"
	"fmt"
	"os"
)

// ConsentCmd records consent.
type ConsentCmd struct {
	Import ConsentImportCmd `cmd:"" help:"Import consent from a CSV file: the dimension's key attributes, channel, status (opt_in/opt_out), optionally updated_at and source."`
}

// ConsentImportCmd imports a consent file.
type ConsentImportCmd struct {
	File      string `arg:"" type:"existingfile" help:"The CSV file."`
	Dimension string `required:"" help:"The targeting dimension the keys belong to (customers)."`
	Source    string `default:"import" help:"Where the consent came from, for rows without a source column."`
}

// Run imports the file and reports its rejected rows.
func (c *ConsentImportCmd) Run(ctx context.Context, g *Globals) error {
	f, err := os.Open(c.File)
	if err != nil {
		return err
	}
	defer f.Close()
	return withBackend(ctx, g, func(b Backend) error {
		res, err := b.ImportConsent(ctx, c.Dimension, c.Source, f)
		if err != nil {
			return err
		}
		rejected := res.Rows - res.Accepted // Rejects lists the first 1000
		fmt.Fprintf(g.stdout, "%s: %d rows, %d recorded, %d rejected\n", c.File, res.Rows, res.Accepted, rejected)
		for _, r := range res.Rejects {
			fmt.Fprintf(g.stdout, "  line %d: %s %q: %s\n", r.Line, r.Column, r.Value, r.Reason)
		}
		if rejected > 0 {
			return fmt.Errorf("%d row(s) rejected", rejected)
		}
		return nil
	})
}

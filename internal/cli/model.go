package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/schema"
)

// ModelCmd groups the data model subcommands.
type ModelCmd struct {
	Validate ModelValidateCmd `cmd:"" help:"Check a model document and list every problem."`
	Apply    ModelApplyCmd    `cmd:"" help:"Apply a model document: create and alter tables."`
	Show     ModelShowCmd     `cmd:"" help:"Print the current (or an earlier) model."`
	History  ModelHistoryCmd  `cmd:"" help:"List the applied versions of the model."`
}

// ModelValidateCmd validates a model document.
type ModelValidateCmd struct {
	File string `arg:"" type:"existingfile" help:"model.yaml or model.json"`
	JSON bool   `help:"Print the result as JSON."`
}

// Run validates the document; it needs no store.
func (c *ModelValidateCmd) Run(g *Globals) error {
	doc, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	m, err := datamodel.Parse(doc)
	if err != nil {
		return reportModelError(g, c.File, err, c.JSON)
	}
	if c.JSON {
		return printJSON(g.stdout, map[string]any{"valid": true, "entities": len(m.Entities)})
	}
	fmt.Fprintf(g.stdout, "%s: valid (%d entities)\n", c.File, len(m.Entities))
	return nil
}

// reportModelError prints validation problems one per line, file:line first.
func reportModelError(g *Globals, file string, err error, asJSON bool) error {
	var verr *datamodel.ValidationError
	if !errors.As(err, &verr) {
		return err
	}
	if asJSON {
		_ = printJSON(g.stdout, map[string]any{"valid": false, "problems": verr.Problems})
	} else {
		for _, p := range verr.Problems {
			fmt.Fprintf(g.stderr, "%s:%d: %s: %s\n", file, p.Line, p.Path, p.Message)
		}
	}
	return &exitError{code: 1, msg: fmt.Sprintf("%s: %d problem(s); nothing applied", file, len(verr.Problems))}
}

// ModelApplyCmd applies a model document.
type ModelApplyCmd struct {
	File             string `arg:"" type:"existingfile" help:"model.yaml or model.json"`
	AllowDestructive bool   `name:"allow-destructive" help:"Allow dropping entities and attributes and changing types."`
	DryRun           bool   `name:"dry-run" help:"Show the changes without making them."`
	JSON             bool   `help:"Print the result as JSON."`
}

// Run applies the model through the backend.
func (c *ModelApplyCmd) Run(ctx context.Context, g *Globals) error {
	doc, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	if _, err := datamodel.Parse(doc); err != nil {
		return reportModelError(g, c.File, err, c.JSON)
	}
	b, err := g.creatingBackend(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	res, err := b.ApplyModel(ctx, doc, schema.ApplyOptions{AllowDestructive: c.AllowDestructive, DryRun: c.DryRun})
	var derr *schema.DestructiveError
	if errors.As(err, &derr) {
		fmt.Fprintln(g.stderr, "refused: these changes lose data; run again with --allow-destructive to make them:")
		for _, ch := range derr.Changes {
			fmt.Fprintf(g.stderr, "  - %s%s\n", ch.Description, lossSuffix(ch.Loss))
		}
		return &exitError{code: 1}
	}
	if err != nil {
		return reportModelError(g, c.File, err, c.JSON)
	}
	if c.JSON {
		return printJSON(g.stdout, res)
	}
	printApply(g.stdout, res, c.DryRun)
	return nil
}

func lossSuffix(loss string) string {
	if loss == "" {
		return ""
	}
	return " — " + loss
}

func printApply(w io.Writer, res *schema.ApplyResult, dry bool) {
	if res.Unchanged {
		fmt.Fprintln(w, "the model is unchanged")
		return
	}
	verb := "applied"
	if dry {
		verb = "would apply"
	}
	for _, ch := range res.Changes {
		fmt.Fprintf(w, "  %s%s\n", ch.Description, lossSuffix(ch.Loss))
	}
	if dry {
		fmt.Fprintf(w, "%s %d change(s) (dry run: nothing changed)\n", verb, len(res.Changes))
		return
	}
	fmt.Fprintf(w, "%s %d change(s); model version %d\n", verb, len(res.Changes), res.Version)
}

// ModelShowCmd prints a model version.
type ModelShowCmd struct {
	Version int64 `help:"Version to show (default: current)."`
	JSON    bool  `help:"Print as JSON."`
}

// Run prints the model document.
func (c *ModelShowCmd) Run(ctx context.Context, g *Globals) error {
	b, err := g.backend(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	m, err := b.Model(ctx, c.Version)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(g.stdout, m)
	}
	fmt.Fprintf(g.stdout, "# model version %d\n%s", m.Version, m.Document)
	return nil
}

// ModelHistoryCmd lists model versions.
type ModelHistoryCmd struct {
	JSON bool `help:"Print as JSON."`
}

// Run lists the versions.
func (c *ModelHistoryCmd) Run(ctx context.Context, g *Globals) error {
	b, err := g.backend(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	h, err := b.ModelHistory(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(g.stdout, h)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tAPPLIED\tSUMMARY")
	for _, v := range h {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", v.Version, v.AppliedAt.Format("2006-01-02 15:04:05Z07:00"), v.Summary)
	}
	return tw.Flush()
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

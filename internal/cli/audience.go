package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// AudienceCmd groups the audience subcommands.
type AudienceCmd struct {
	Count    AudienceCountCmd    `cmd:"" help:"Count a query's audience, with an optional breakdown and sample."`
	Validate AudienceValidateCmd `cmd:"" help:"Check a query and print it in both forms."`
	Save     AudienceSaveCmd     `cmd:"" help:"Save a query's current result as a named audience."`
	List     AudienceListCmd     `cmd:"" help:"List saved audiences."`
	Show     AudienceShowCmd     `cmd:"" help:"Show a saved audience."`
	Refresh  AudienceRefreshCmd  `cmd:"" help:"Re-run a saved audience's query into a new version."`
	Append   AudienceAppendCmd   `cmd:"" help:"Add a query's rows to a saved audience (new version)."`
	Delete   AudienceDeleteCmd   `cmd:"" help:"Delete a saved audience and its versions."`
	Export   AudienceExportCmd   `cmd:"" help:"Export a saved audience's members as CSV or NDJSON."`
	Publish  AudiencePublishCmd  `cmd:"" help:"Publish a saved audience to an outbound destination now and after each new version (--to DEST), or stop (--off)."`
}

// queryFlags are how a command takes a query.
type queryFlags struct {
	Dimension string            `help:"Targeting dimension (default: the model's only one)."`
	Where     string            `help:"The query in the text syntax (docs/audiences.md)." xor:"query"`
	Query     string            `help:"A JSON file holding the query tree (or a request with where/text/params)." type:"existingfile" xor:"query"`
	Param     map[string]string `help:"A parameter value, name=value (JSON values are read as JSON)."`
	Now       time.Time         `help:"The instant relative conditions are measured from (RFC 3339; default: now)." format:"2006-01-02T15:04:05Z07:00"`
	Timezone  string            `help:"Time zone of 'today' (default UTC)."`
}

// request builds the API request the flags describe.
func (f *queryFlags) request() (service.AudienceRequest, error) {
	req := service.AudienceRequest{Dimension: f.Dimension, Text: f.Where, Now: f.Now, TimeZone: f.Timezone}
	if f.Query != "" {
		raw, err := os.ReadFile(f.Query)
		if err != nil {
			return req, err
		}
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(raw, &probe); err != nil {
			return req, fmt.Errorf("%s: %w", f.Query, err)
		}
		_, hasWhere := probe["where"]
		_, hasText := probe["text"]
		if hasWhere || hasText {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&req); err != nil {
				return req, fmt.Errorf("%s: %w", f.Query, err)
			}
			if f.Dimension != "" {
				req.Dimension = f.Dimension
			}
		} else {
			req.Where = raw
		}
	}
	if len(f.Param) > 0 && req.Params == nil {
		req.Params = map[string]any{}
	}
	for k, v := range f.Param {
		var parsed any
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&parsed); err != nil || dec.More() {
			parsed = v
		}
		req.Params[k] = parsed
	}
	return req, nil
}

// AudienceCountCmd counts a query.
type AudienceCountCmd struct {
	queryFlags
	Breakdown string   `help:"Break the count down by this attribute path."`
	Top       int      `default:"10" help:"Values to list in the breakdown."`
	Sample    int      `help:"Show this many matching rows."`
	Attrs     []string `help:"Attribute paths of the sample rows." sep:","`
	JSON      bool     `help:"Print as JSON."`
}

// Run counts.
func (c *AudienceCountCmd) Run(ctx context.Context, g *Globals) error {
	req, err := c.request()
	if err != nil {
		return err
	}
	req.Breakdown, req.Top, req.Sample, req.Attributes = c.Breakdown, c.Top, c.Sample, c.Attrs
	b, err := g.backend(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	res, err := b.AudienceCount(ctx, req)
	if err != nil {
		return queryError(g, err)
	}
	if c.JSON {
		return printJSON(g.stdout, res)
	}
	fmt.Fprintf(g.stdout, "%d\n", res.Count)
	if bd := res.Breakdown; bd != nil {
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "%s\tcount\t\n", bd.Attribute)
		for _, bk := range bd.Buckets {
			fmt.Fprintf(tw, "%s\t%d\t\n", showValue(bk.Value), bk.Count)
		}
		if bd.Others > 0 {
			fmt.Fprintf(tw, "(others)\t%d\t\n", bd.Others)
		}
		tw.Flush()
	}
	if s := res.Sample; s != nil {
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(s.Columns, "\t"))
		for _, row := range s.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = showValue(v)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		tw.Flush()
	}
	return nil
}

func showValue(v any) string {
	if v == nil {
		return "(null)"
	}
	return fmt.Sprint(v)
}

// queryError prints a query's problems one per line.
func queryError(g *Globals, err error) error {
	var verr *audience.ValidationError
	if errors.As(err, &verr) {
		for _, p := range verr.Problems {
			fmt.Fprintf(g.stderr, "%s: %s\n", p.Path, p.Message)
		}
		return &exitError{code: 1, msg: fmt.Sprintf("the query has %d problem(s)", len(verr.Problems))}
	}
	return err
}

// AudienceValidateCmd validates a query.
type AudienceValidateCmd struct {
	queryFlags
	JSON bool `help:"Print as JSON."`
}

// Run validates and prints both forms.
func (c *AudienceValidateCmd) Run(ctx context.Context, g *Globals) error {
	req, err := c.request()
	if err != nil {
		return err
	}
	b, err := g.backend(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	res, err := b.AudienceValidate(ctx, req)
	if err != nil {
		return queryError(g, err)
	}
	if c.JSON {
		return printJSON(g.stdout, res)
	}
	tree, _ := json.Marshal(res.Where)
	fmt.Fprintf(g.stdout, "valid query on %s\ntext: %s\njson: %s\n", res.Dimension, res.Text, tree)
	return nil
}

// AudienceSaveCmd saves an audience.
type AudienceSaveCmd struct {
	Name string `arg:"" help:"Audience name."`
	queryFlags
	Description string `help:"What the audience is for."`
	JSON        bool   `help:"Print as JSON."`
}

// Run saves.
func (c *AudienceSaveCmd) Run(ctx context.Context, g *Globals) error {
	req, err := c.request()
	if err != nil {
		return err
	}
	req.Name, req.Description = c.Name, c.Description
	return withBackend(ctx, g, func(b Backend) error {
		a, err := b.AudienceSave(ctx, req)
		if err != nil {
			return queryError(g, err)
		}
		return printAudience(g, a, c.JSON)
	})
}

func withBackend(ctx context.Context, g *Globals, fn func(Backend) error) error {
	b, err := g.backend(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	return fn(b)
}

func printAudience(g *Globals, a *audience.Audience, asJSON bool) error {
	if asJSON {
		return printJSON(g.stdout, a)
	}
	fmt.Fprintf(g.stdout, "%s: %d %s (version %d, %s)\n", a.Name, a.Count, a.Dimension, a.Version, a.UpdatedAt.Format(time.RFC3339))
	return nil
}

// AudienceListCmd lists saved audiences.
type AudienceListCmd struct {
	JSON bool `help:"Print as JSON."`
}

// Run lists.
func (c *AudienceListCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		list, err := b.Audiences(ctx)
		if err != nil {
			return err
		}
		if c.JSON {
			return printJSON(g.stdout, list)
		}
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tDIMENSION\tCOUNT\tVERSION\tUPDATED")
		for _, a := range list {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", a.Name, a.Dimension, a.Count, a.Version, a.UpdatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

// AudienceShowCmd shows a saved audience.
type AudienceShowCmd struct {
	Name string `arg:""`
	JSON bool   `help:"Print as JSON."`
}

// Run shows.
func (c *AudienceShowCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		a, err := b.Audience(ctx, c.Name)
		if err != nil {
			return err
		}
		if c.JSON {
			return printJSON(g.stdout, a)
		}
		if err := printAudience(g, a, false); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "query: %s\n", a.Query)
		if a.Publish != nil {
			fmt.Fprintf(g.stdout, "published to %s: %s\n", a.Publish.Destination, publicationText(a.Publish))
		}
		return nil
	})
}

// AudienceRefreshCmd refreshes a saved audience.
type AudienceRefreshCmd struct {
	Name string `arg:""`
	JSON bool   `help:"Print as JSON."`
}

// Run refreshes.
func (c *AudienceRefreshCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		a, err := b.AudienceRefresh(ctx, c.Name)
		if err != nil {
			return queryError(g, err)
		}
		return printAudience(g, a, c.JSON)
	})
}

// AudienceAppendCmd appends to a saved audience.
type AudienceAppendCmd struct {
	Name string `arg:""`
	queryFlags
	JSON bool `help:"Print as JSON."`
}

// Run appends.
func (c *AudienceAppendCmd) Run(ctx context.Context, g *Globals) error {
	req, err := c.request()
	if err != nil {
		return err
	}
	return withBackend(ctx, g, func(b Backend) error {
		a, err := b.AudienceAppend(ctx, c.Name, req)
		if err != nil {
			return queryError(g, err)
		}
		return printAudience(g, a, c.JSON)
	})
}

// AudienceDeleteCmd deletes a saved audience.
type AudienceDeleteCmd struct {
	Name string `arg:""`
}

// Run deletes.
func (c *AudienceDeleteCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		if err := b.AudienceDelete(ctx, c.Name); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "deleted %s\n", c.Name)
		return nil
	})
}

// AudienceExportCmd exports a saved audience.
type AudienceExportCmd struct {
	Name    string   `arg:""`
	Format  string   `enum:"csv,ndjson" default:"csv" help:"csv or ndjson."`
	Attrs   []string `help:"Attribute paths to export (default: keys and addresses)." sep:","`
	Version int64    `help:"Version to export (default: current)."`
	Output  string   `short:"o" help:"Write to this file (default: standard output)." type:"path"`
}

// Run exports.
func (c *AudienceExportCmd) Run(ctx context.Context, g *Globals) error {
	var w io.Writer = g.stdout
	if c.Output != "" {
		f, err := os.Create(c.Output)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return withBackend(ctx, g, func(b Backend) error {
		return b.AudienceExport(ctx, c.Name, c.Version, c.Attrs, c.Format, w)
	})
}

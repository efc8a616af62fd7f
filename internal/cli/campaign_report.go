package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/fanfare-dev/fanfare/internal/delivery"
)

// CampaignReportCmd reports on a run.
type CampaignReportCmd struct {
	RunID int64  `arg:"" name:"run"`
	By    string `enum:"hour,day" default:"day" help:"The span of the events over time: hour or day."`
	CSV   bool   `help:"Print the figures as CSV, one line per channel activity."`
	JSON  bool   `help:"Print the whole report as JSON."`
}

// Run prints the report.
func (c *CampaignReportCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		r, err := b.RunReport(ctx, c.RunID, c.By)
		if err != nil {
			return err
		}
		switch {
		case c.JSON:
			return printJSON(g.stdout, r)
		case c.CSV:
			return r.WriteCSV(g.stdout)
		}
		printReport(g, r)
		return nil
	})
}

// printReport prints a run's figures, its emails by domain and its events
// over time.
func printReport(g *Globals, r *delivery.Report) {
	printFigures(g, r.Run, r.Activities)
	if len(r.Domains) > 0 {
		fmt.Fprintln(g.stdout)
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ACTIVITY\tDOMAIN\tSENT\tOPENED\tCLICKED\tBOUNCED\tCOMPLAINTS")
		for _, d := range r.Domains {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\n", d.Activity, d.Domain, d.Sent, d.Opened, d.Clicked, d.Bounced, d.Complaints)
		}
		tw.Flush()
	}
	if len(r.Comparisons) > 0 {
		fmt.Fprintln(g.stdout)
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SPLIT\tRATE\tSUBSET\tACTIVITY\tSENT\tEVENTS\tRATE\tAGAINST THE FIRST (95% CI)")
		for _, c := range r.Comparisons {
			for _, x := range c.Groups {
				against := ""
				if x.Difference != nil {
					against = fmt.Sprintf("%+.1f pts [%+.1f, %+.1f]", 100**x.Difference, 100**x.Low, 100**x.High)
					switch {
					case x.TooSmall:
						against += " too small to conclude"
					case x.Conclusive:
						against += " conclusive"
					default:
						against += " not conclusive"
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%.1f%%\t%s\n", c.Split, c.Metric, x.Subset, x.Activity, x.Sent, x.Events, 100*x.Rate, against)
			}
		}
		tw.Flush()
	}
	if len(r.Series) > 0 {
		fmt.Fprintln(g.stdout)
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "%s (UTC)\tACTIVITY\tEVENT\tBY\tEVENTS\n", map[string]string{"hour": "HOUR", "day": "DAY"}[r.By])
		for _, p := range r.Series {
			by := "people"
			if p.Machine {
				by = "machines"
			}
			at := p.At.Format("2006-01-02")
			if r.By == "hour" {
				at = p.At.Format("2006-01-02 15:00")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", at, p.Activity, p.Type, by, p.Events)
		}
		tw.Flush()
	}
}

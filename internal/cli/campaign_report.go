package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// CampaignReportCmd reports on a run, or (--campaign) on a campaign's
// live runs.
type CampaignReportCmd struct {
	RunID    int64  `arg:"" name:"run" optional:"" help:"The run to report on (or --campaign)."`
	Campaign string `help:"Report on this campaign's live runs instead of one run: their figures summed, by run, channel activity and channel." placeholder:"NAME"`
	Since    string `help:"With --campaign: the runs started at or after this date (2026-12-01, UTC) or RFC 3339 time."`
	Until    string `help:"With --campaign: the runs started before this date or time."`
	By       string `enum:"hour,day" default:"day" help:"The span of the events over time: hour or day."`
	// Conversion and Within compare the run's control groups on a
	// conversion given here, beside the campaign's own.
	Conversion string `help:"Compare each split's treated subsets with its control group on this conversion: an audience query where $$sent_at is each member's send time and $$window_end that time plus --within." placeholder:"QUERY"`
	Within     string `help:"The conversion's window ($$window_end − $$sent_at), such as 7d." placeholder:"DURATION"`
	Table      string `enum:"activities,uplift" default:"activities" help:"With --csv: the channel activities' figures, or the control groups' uplifts (one line per subset)."`
	CSV        bool   `help:"Print the figures as CSV, one line per channel activity (with --campaign: per run; --table uplift: per subset)."`
	JSON       bool   `help:"Print the whole report as JSON."`
}

// Run prints the report.
func (c *CampaignReportCmd) Run(ctx context.Context, g *Globals) error {
	switch {
	case c.Campaign != "" && c.RunID != 0:
		return fmt.Errorf("name a run or --campaign, not both")
	case c.Campaign != "":
		return c.campaign(ctx, g)
	case c.RunID == 0:
		return fmt.Errorf("name a run (fanfare campaign report RUN) or a campaign (--campaign NAME)")
	case c.Since != "" || c.Until != "":
		return fmt.Errorf("--since and --until bound a campaign's runs: use them with --campaign")
	}
	return withBackend(ctx, g, func(b Backend) error {
		r, err := b.RunReport(ctx, c.RunID, service.RunReportRequest{By: c.By, Conversion: c.Conversion, Within: c.Within})
		if err != nil {
			return err
		}
		switch {
		case c.JSON:
			return printJSON(g.stdout, r)
		case c.CSV && c.Table == "uplift":
			return r.WriteUpliftCSV(g.stdout)
		case c.CSV:
			return r.WriteCSV(g.stdout)
		}
		printReport(g, r)
		return nil
	})
}

// campaign prints a campaign's report over its live runs.
func (c *CampaignReportCmd) campaign(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		r, err := b.CampaignReport(ctx, c.Campaign, service.CampaignReportRequest{Since: c.Since, Until: c.Until})
		if err != nil {
			return err
		}
		switch {
		case c.JSON:
			return printJSON(g.stdout, r)
		case c.CSV:
			return r.WriteCSV(g.stdout)
		}
		printCampaignReport(g, r)
		return nil
	})
}

// printCampaignReport prints a campaign's figures by run, by channel
// activity and by channel, then over all its runs.
func printCampaignReport(g *Globals, r *delivery.CampaignReport) {
	if len(r.Runs) == 0 {
		fmt.Fprintf(g.stdout, "Campaign %s has no live run in that span.\n", r.Campaign)
		return
	}
	cols, row := totalsCols, totalsRow
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED (UTC)\tSTATUS\t"+cols)
	for _, run := range r.Runs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", run.Run, run.StartedAt.UTC().Format("2006-01-02 15:04"), run.Status, row(run.Totals))
	}
	fmt.Fprintf(tw, "all %d\t\t\t%s\n", len(r.Runs), row(r.Totals))
	tw.Flush()
	fmt.Fprintln(g.stdout)
	tw = tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL ACTIVITY\tRUNS\t"+cols)
	for _, a := range r.Activities {
		fmt.Fprintf(tw, "%s (%s)\t%d\t%s\n", a.Activity, a.Channel, a.Runs, row(a.Totals))
	}
	for _, ch := range r.Channels {
		fmt.Fprintf(tw, "all %s\t\t%s\n", ch.Channel, row(ch.Totals))
	}
	tw.Flush()
}

// totalsCols are the columns totalsRow fills.
const totalsCols = "TARGETED\tSENT\tFAILED\tDELIVERED\tBOUNCED HARD\tBOUNCED SOFT\tFAILED (REPORTED)\tOPENED\tCLICKED\tCOMPLAINTS\tUNSUBSCRIBED"

// totalsRow is summed figures as cells of a table.
func totalsRow(t delivery.Totals) string {
	return fmt.Sprintf("%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d", t.Targeted, t.Sent, t.Failed, t.Delivered, t.BouncedHard, t.BouncedSoft,
		t.ReportedFailed, t.Opened, t.Clicked, t.Complaints, t.Unsubscribed)
}

// printReport prints a run's figures, its emails by domain and its events
// over time.
func printReport(g *Globals, r *delivery.Report) {
	printFigures(g, r.Run, r.Activities)
	if len(r.Channels) > 0 {
		fmt.Fprintln(g.stdout)
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CHANNEL\t"+totalsCols)
		for _, ch := range r.Channels {
			fmt.Fprintf(tw, "%s\t%s\n", ch.Channel, totalsRow(ch.Totals))
		}
		tw.Flush()
	}
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
	printUplifts(g, r.Uplifts)
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

// printUplifts prints each split's control group and treated subsets on
// each conversion, with the treated subsets' uplift and its interval.
func printUplifts(g *Globals, ups []delivery.Uplift) {
	if len(ups) == 0 {
		return
	}
	fmt.Fprintln(g.stdout)
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SPLIT\tCONVERSION\tSUBSET\tACTIVITY\tMEMBERS\tCONVERTED\tRATE\tUPLIFT OVER THE CONTROL (95% CI)")
	for _, u := range ups {
		conv := u.Conversion
		if u.Within != "" {
			conv += " (" + u.Within + ")"
		}
		if u.Unavailable != "" {
			fmt.Fprintf(tw, "%s\t%s\t\t\t\t\t\t%s\n", u.Split, conv, u.Unavailable)
			continue
		}
		for _, x := range u.Groups {
			against, act := "", x.Activity
			switch {
			case x.Control:
				act, against = "(control)", "reference "+u.Reference.UTC().Format("2006-01-02 15:04")
			case x.Uplift != nil:
				against = fmt.Sprintf("%+.1f pts [%+.1f, %+.1f]", 100**x.Uplift, 100**x.Low, 100**x.High)
				switch {
				case x.TooSmall:
					against += " too small to conclude"
				case x.Conclusive:
					against += " conclusive"
				default:
					against += " not conclusive"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%.1f%%\t%s\n", u.Split, conv, x.Subset, act, x.Members, x.Converted, 100*x.Rate, against)
		}
		if !u.Random {
			fmt.Fprintf(tw, "%s\t%s\t\t\t\t\t\tnot drawn at random: the difference may not be the messages'\n", u.Split, conv)
		}
	}
	tw.Flush()
}

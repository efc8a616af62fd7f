package cli

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/fanfare-dev/fanfare/internal/delivery"
)

// printFigures prints the delivery figures of a run's channel activities,
// reasons in name order, and says how to release held messages.
func printFigures(g *Globals, run int64, figs []delivery.Figures) {
	if len(figs) == 0 {
		return
	}
	// Columns shown only when some activity has messages in them, with
	// what to do about those.
	optional := []struct {
		name, hint string
		of         func(delivery.Figures) int64
		total      int64
	}{
		{name: "HELD", hint: "held until an operator confirms the send: fanfare campaign confirm", of: func(f delivery.Figures) int64 { return f.Held }},
		{name: "PAUSED", hint: "paused with the run: fanfare campaign resume", of: func(f delivery.Figures) int64 { return f.Paused }},
		{name: "CANCELLED", of: func(f delivery.Figures) int64 { return f.Cancelled }},
		{name: "DROPPED", of: func(f delivery.Figures) int64 { return f.Dropped }},
	}
	head := "CHANNEL ACTIVITY\tTARGETED\tSENT\tEXCLUDED\tFAILED\tIN DOUBT\tPENDING"
	for i := range optional {
		for _, f := range figs {
			optional[i].total += optional[i].of(f)
		}
		if optional[i].total > 0 {
			head += "\t" + optional[i].name
		}
	}
	// Reason lines have as many cells as the others, or the columns after
	// them would not line up.
	pad := strings.Repeat("\t", strings.Count(head, "\t")-1)
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, head)
	for _, f := range figs {
		fmt.Fprintf(tw, "%s (%s)\t%d\t%d\t%d\t%d\t%d\t%d", f.Activity, f.Channel, f.Targeted, f.Sent, f.Excluded, f.Failed, f.InDoubt, f.Pending)
		for _, o := range optional {
			if o.total > 0 {
				fmt.Fprintf(tw, "\t%d", o.of(f))
			}
		}
		fmt.Fprintln(tw)
		for _, by := range []struct {
			label  string
			counts map[string]int64
		}{{"excluded: ", f.ByReason}, {"failed: ", f.Failures}, {"in doubt: ", f.Doubts}, {"dropped, was in doubt: ", f.DroppedBy},
			{"pending: ", f.Waiting}, {"sent, reported ", f.Reports}} {
			for _, reason := range slices.Sorted(maps.Keys(by.counts)) {
				fmt.Fprintf(tw, "  %s%s\t%d%s\n", by.label, reason, by.counts[reason], pad)
			}
		}
		for _, r := range f.Resolutions {
			fmt.Fprintf(tw, "  %s\t%d%s\n", resolutionLine(r), r.Messages, pad)
		}
		if e := f.Engagement; e != nil {
			for _, line := range []struct {
				label string
				n     int64
			}{{"opened (messages)", e.Opened}, {"opens", e.OpenedTotal}, {"opens by machines", e.OpenedMachine},
				{"clicked (messages)", e.Clicked}, {"clicks", e.ClickedTotal}, {"clicks by machines", e.ClickedMachine},
				{"delivered (reported)", e.Delivered}, {"bounced, hard", e.BouncedHard}, {"bounced, soft", e.BouncedSoft},
				{"failed (reported)", e.ReportedFailed}, {"complaints", e.Complaints}, {"unsubscribed", e.Unsubscribed}} {
				fmt.Fprintf(tw, "  %s\t%d%s\n", line.label, line.n, pad)
			}
			for _, l := range e.Links {
				fmt.Fprintf(tw, "  clicks on link %d, %s\t%d%s\n", l.Link, cmp.Or(l.Label, l.URL), l.Clicks, pad)
			}
		}
	}
	tw.Flush()
	for _, o := range optional {
		if o.total > 0 && o.hint != "" {
			fmt.Fprintf(g.stdout, "%d message(s) %s %d\n", o.total, o.hint, run)
		}
	}
	printInDoubtHint(g, run, figs)
}

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// CampaignCmd groups the campaign subcommands.
type CampaignCmd struct {
	Validate       CampaignValidateCmd       `cmd:"" help:"Check a campaign document against the data model; list every problem."`
	Save           CampaignSaveCmd           `cmd:"" help:"Store a campaign document (a new campaign, or a new draft version)."`
	Simulate       CampaignSimulateCmd       `cmd:"" help:"Run everything but channels and save_audience; show the count on every transition."`
	Publish        CampaignPublishCmd        `cmd:"" help:"Validate and freeze the latest version."`
	Start          CampaignStartCmd          `cmd:"" help:"Start a live run of the published version."`
	Status         CampaignStatusCmd         `cmd:"" help:"Show a run's graph with counts."`
	Report         CampaignReportCmd         `cmd:"" help:"Report on a run (figures and what recipients did per channel activity and channel, emails by domain, events over time) or, with --campaign, on a campaign's live runs."`
	Runs           CampaignRunsCmd           `cmd:"" help:"List a campaign's runs."`
	Logs           CampaignLogsCmd           `cmd:"" help:"Show a run's activity log."`
	Preview        CampaignPreviewCmd        `cmd:"" help:"Show the rows a transition carried."`
	PreviewMessage CampaignPreviewMessageCmd `cmd:"" name:"preview-message" help:"Render a channel activity's message for one profile."`
	Proof          CampaignProofCmd          `cmd:"" help:"Send a profile's message to test addresses (subject prefixed [Proof]); nothing is counted."`
	Pause          PauseCmd                  `cmd:"" help:"Pause a run."`
	Resume         ResumeCmd                 `cmd:"" help:"Resume a paused run."`
	Stop           StopCmd                   `cmd:"" help:"Stop a run."`
	Retry          CampaignRetryCmd          `cmd:"" help:"Retry a failed activity of a waiting run."`
	Resolve        CampaignResolveCmd        `cmd:"" help:"Resend or drop a run's in-doubt messages (--resend | --drop [--activity A])."`
	Confirm        CampaignConfirmCmd        `cmd:"" help:"Confirm the send of a live run held for confirmation (policy confirm_send)."`
	Duplicate      CampaignDuplicateCmd      `cmd:"" help:"Copy a campaign under a new name."`
	Archive        CampaignArchiveCmd        `cmd:"" help:"Put a campaign away: its schedule ends, no run starts, its runs' history stays."`
	Unarchive      CampaignUnarchiveCmd      `cmd:"" help:"Bring an archived campaign back (published with its schedule, or a draft)."`
	Delete         CampaignDeleteCmd         `cmd:"" help:"Delete a campaign that never ran (one with runs is archived instead)."`
	List           CampaignListCmd           `cmd:"" help:"List campaigns."`
	Schedule       CampaignScheduleCmd       `cmd:"" help:"Preview the next occurrences of a campaign's schedule."`
	Schema         CampaignSchemaCmd         `cmd:"" help:"Print the JSON Schema of campaign documents (for editors and CI; opens no store)."`
}

// campaignRef resolves FILE-or-NAME: a file is saved first (a new version)
// and its campaign's name returned.
func campaignRef(ctx context.Context, b Backend, ref string) (string, error) {
	if st, err := os.Stat(ref); err == nil && !st.IsDir() {
		doc, err := os.ReadFile(ref)
		if err != nil {
			return "", err
		}
		c, err := b.CampaignSave(ctx, doc)
		if err != nil {
			return "", err
		}
		return c.Name, nil
	}
	return ref, nil
}

// campaignError prints a campaign's problems one per line.
func campaignError(g *Globals, file string, err error) error {
	var verr *campaign.ValidationError
	if !errors.As(err, &verr) {
		return queryError(g, err)
	}
	for _, p := range verr.Problems {
		loc := file
		if p.Line > 0 {
			loc = fmt.Sprintf("%s:%d", file, p.Line)
		}
		fmt.Fprintf(g.stderr, "%s: %s: %s\n", loc, p.Path, p.Message)
	}
	return &exitError{code: 1, msg: fmt.Sprintf("%d problem(s); nothing was run", len(verr.Problems))}
}

// CampaignValidateCmd validates a document.
type CampaignValidateCmd struct {
	File string `arg:"" type:"existingfile"`
	JSON bool   `help:"Print as JSON."`
}

// Run validates, and shows how long each SMS activity's text is.
func (c *CampaignValidateCmd) Run(ctx context.Context, g *Globals) error {
	doc, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	return withBackend(ctx, g, func(b Backend) error {
		v, err := b.CampaignValidate(ctx, doc)
		if err != nil {
			return campaignError(g, c.File, err)
		}
		if c.JSON {
			return printJSON(g.stdout, v)
		}
		fmt.Fprintf(g.stdout, "%s: valid\n", c.File)
		for _, l := range v.SMS {
			unit := "SMS segments"
			if l.Segments == 1 {
				unit = "SMS segment"
			}
			fmt.Fprintf(g.stdout, "%s: %d %s (%s, %d characters with the sample profile's values)\n", l.Activity, l.Segments, unit, l.Encoding, l.Characters)
		}
		return nil
	})
}

// CampaignSaveCmd saves a document.
type CampaignSaveCmd struct {
	File string `arg:"" type:"existingfile"`
	JSON bool   `help:"Print as JSON."`
}

// Run saves.
func (c *CampaignSaveCmd) Run(ctx context.Context, g *Globals) error {
	doc, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	return withBackend(ctx, g, func(b Backend) error {
		cp, err := b.CampaignSave(ctx, doc)
		if err != nil {
			return campaignError(g, c.File, err)
		}
		if c.JSON {
			return printJSON(g.stdout, cp)
		}
		fmt.Fprintf(g.stdout, "%s: version %d saved (%s)\n", cp.Name, cp.LatestVersion, cp.Status)
		return nil
	})
}

// runFlags start and follow a run.
type runFlags struct {
	Param  map[string]string `help:"A run parameter, name=value."`
	NoWait bool              `name:"no-wait" help:"Return once the run is started."`
	JSON   bool              `help:"Print as JSON."`
}

func (f *runFlags) start(ctx context.Context, g *Globals, b Backend, name, mode string) error {
	opts := engine.RunOptions{Mode: mode, Params: map[string]any{}}
	for k, v := range f.Param {
		opts.Params[k] = parseParam(v)
	}
	run, err := b.RunStart(ctx, name, opts)
	if err != nil {
		return campaignError(g, name, err)
	}
	if f.NoWait {
		if f.JSON {
			return printJSON(g.stdout, run)
		}
		fmt.Fprintf(g.stdout, "run %d started (%s)\n", run.ID, mode)
		return nil
	}
	st, err := b.Work(ctx, run.ID)
	if err != nil {
		return err
	}
	figs, _ := b.RunFigures(ctx, run.ID)
	if f.JSON {
		return printJSON(g.stdout, map[string]any{"run": st.Run, "activities": st.Activities, "transitions": st.Transitions, "delivery": figs})
	}
	printStatus(g, st)
	printFigures(g, run.ID, figs)
	if st.Run.Status != engine.RunCompleted {
		return &exitError{code: 1}
	}
	return nil
}

func parseParam(v string) any {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f
	}
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	return v
}

// CampaignSimulateCmd simulates a campaign.
type CampaignSimulateCmd struct {
	Campaign string `arg:"" help:"A campaign name, or a document file (saved first)."`
	runFlags
}

// Run simulates.
func (c *CampaignSimulateCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		name, err := campaignRef(ctx, b, c.Campaign)
		if err != nil {
			return campaignError(g, c.Campaign, err)
		}
		return c.start(ctx, g, b, name, engine.ModeSimulate)
	})
}

// CampaignPublishCmd publishes a campaign.
type CampaignPublishCmd struct {
	Campaign string `arg:"" help:"A campaign name, or a document file (saved first)."`
}

// Run publishes.
func (c *CampaignPublishCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		name, err := campaignRef(ctx, b, c.Campaign)
		if err != nil {
			return campaignError(g, c.Campaign, err)
		}
		cp, err := b.CampaignPublish(ctx, name)
		if err != nil {
			return campaignError(g, c.Campaign, err)
		}
		fmt.Fprintf(g.stdout, "%s: version %d published\n", cp.Name, cp.PublishedVersion)
		return nil
	})
}

// CampaignStartCmd starts a live run.
type CampaignStartCmd struct {
	Campaign string `arg:""`
	runFlags
}

// Run starts.
func (c *CampaignStartCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error { return c.start(ctx, g, b, c.Campaign, engine.ModeLive) })
}

// CampaignStatusCmd shows a run.
type CampaignStatusCmd struct {
	RunID int64 `arg:"" name:"run"`
	JSON  bool  `help:"Print as JSON."`
}

// Run shows the status.
func (c *CampaignStatusCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		st, err := b.RunStatus(ctx, c.RunID)
		if err != nil {
			return err
		}
		figs, err := b.RunFigures(ctx, c.RunID)
		if err != nil {
			return err
		}
		if c.JSON {
			return printJSON(g.stdout, map[string]any{"run": st.Run, "activities": st.Activities, "transitions": st.Transitions, "delivery": figs})
		}
		printStatus(g, st)
		printFigures(g, c.RunID, figs)
		return nil
	})
}

// printStatus prints a run as its activities and transitions with counts.
func printStatus(g *Globals, st *engine.RunStatus) {
	r := st.Run
	fmt.Fprintf(g.stdout, "run %d of %s v%d (%s): %s", r.ID, r.Campaign, r.Version, r.Mode, r.Status)
	if r.Error != "" {
		fmt.Fprintf(g.stdout, " — %s", r.Error)
	}
	fmt.Fprintln(g.stdout)
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTIVITY\tTYPE\tSTATUS\tIN\tOUT\tMS\tERROR")
	for _, a := range st.Activities {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Type, a.Status, num(a.RowsIn), num(a.RowsOut), num(a.Millis), a.Error)
	}
	tw.Flush()
	tw = tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRANSITION\tCOUNT")
	for _, t := range st.Transitions {
		count := t.State
		if t.Control {
			count = "(go)"
		}
		if t.Count != nil {
			count = strconv.FormatInt(*t.Count, 10)
		}
		fmt.Fprintf(tw, "%s.%s → %s\t%s\n", t.From, t.Output, t.To, count)
	}
	tw.Flush()
}

func num(p *int64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatInt(*p, 10)
}

// CampaignRunsCmd lists runs.
type CampaignRunsCmd struct {
	Campaign string `arg:""`
	JSON     bool   `help:"Print as JSON."`
}

// Run lists runs.
func (c *CampaignRunsCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		runs, err := b.Runs(ctx, c.Campaign, 0)
		if err != nil {
			return err
		}
		if c.JSON {
			return printJSON(g.stdout, runs)
		}
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RUN\tVERSION\tMODE\tSTATUS\tTRIGGER\tSTARTED")
		for _, r := range runs {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\n", r.ID, r.Version, r.Mode, r.Status, r.Trigger, r.CreatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

// CampaignLogsCmd prints a run's log: what happened to the run and each
// of its activities, in order.
type CampaignLogsCmd struct {
	RunID    int64   `arg:"" name:"run"`
	Activity *string `help:"Only this activity's lines (\"\": the run's own)." placeholder:"ID"`
	JSON     bool    `help:"Print as JSON lines."`
}

// Run prints the log.
func (c *CampaignLogsCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		req := service.RunLogRequest{Activity: c.Activity}
		for {
			lines, err := b.RunLog(ctx, c.RunID, req)
			if err != nil {
				return err
			}
			for _, l := range lines {
				if c.JSON {
					b, err := json.Marshal(l)
					if err != nil {
						return err
					}
					fmt.Fprintln(g.stdout, string(b))
					continue
				}
				who := l.Activity
				if who == "" {
					who = "run"
				}
				fmt.Fprintf(g.stdout, "%s  %-5s  %s: %s\n", l.At.Format("2006-01-02T15:04:05.000Z07:00"), l.Level, who, l.Message)
			}
			if len(lines) < engine.MaxLogLines {
				return nil
			}
			req.After = lines[len(lines)-1].Seq
		}
	})
}

// CampaignPreviewCmd previews a transition.
type CampaignPreviewCmd struct {
	RunID    int64  `arg:"" name:"run"`
	Activity string `arg:"" help:"activity[.port] (port default out)"`
	Limit    int    `default:"20" help:"How many rows (at most 1000)."`
	JSON     bool   `help:"Print as JSON."`
}

// Run previews.
func (c *CampaignPreviewCmd) Run(ctx context.Context, g *Globals) error {
	act, port, _ := strings.Cut(c.Activity, ".")
	return withBackend(ctx, g, func(b Backend) error {
		cols, rows, err := b.RunPreview(ctx, c.RunID, act, port, c.Limit)
		if err != nil {
			return err
		}
		if c.JSON {
			return printJSON(g.stdout, map[string]any{"columns": cols, "rows": rows})
		}
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
		for _, r := range rows {
			cells := make([]string, len(r))
			for i, v := range r {
				cells[i] = showValue(v)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		return tw.Flush()
	})
}

// runAction pauses, resumes or stops a run and prints it.
func runAction(ctx context.Context, g *Globals, run int64, action string) error {
	return withBackend(ctx, g, func(b Backend) error {
		st, err := b.RunAction(ctx, run, action)
		if err != nil {
			return err
		}
		printStatus(g, st)
		if figs, err := b.RunFigures(ctx, run); err == nil {
			printFigures(g, run, figs)
		}
		return nil
	})
}

// PauseCmd pauses a run.
type PauseCmd struct {
	RunID int64 `arg:"" name:"run"`
}

// Run pauses.
func (c *PauseCmd) Run(ctx context.Context, g *Globals) error {
	return runAction(ctx, g, c.RunID, "pause")
}

// ResumeCmd resumes a run.
type ResumeCmd struct {
	RunID int64 `arg:"" name:"run"`
}

// Run resumes.
func (c *ResumeCmd) Run(ctx context.Context, g *Globals) error {
	return runAction(ctx, g, c.RunID, "resume")
}

// StopCmd stops a run.
type StopCmd struct {
	RunID int64 `arg:"" name:"run"`
}

// Run stops.
func (c *StopCmd) Run(ctx context.Context, g *Globals) error {
	return runAction(ctx, g, c.RunID, "stop")
}

// CampaignRetryCmd retries a failed activity.
type CampaignRetryCmd struct {
	RunID    int64  `arg:"" name:"run"`
	Activity string `arg:""`
}

// Run retries.
func (c *CampaignRetryCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		st, err := b.RunRetry(ctx, c.RunID, c.Activity)
		if err != nil {
			return err
		}
		printStatus(g, st)
		return nil
	})
}

// CampaignDuplicateCmd duplicates a campaign.
type CampaignDuplicateCmd struct {
	Campaign string `arg:""`
	NewName  string `arg:""`
}

// Run duplicates.
func (c *CampaignDuplicateCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		cp, err := b.CampaignDuplicate(ctx, c.Campaign, c.NewName)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "%s: draft version %d\n", cp.Name, cp.LatestVersion)
		return nil
	})
}

// CampaignListCmd lists campaigns.
type CampaignListCmd struct {
	JSON bool `help:"Print as JSON."`
}

// Run lists.
func (c *CampaignListCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		list, err := b.Campaigns(ctx)
		if err != nil {
			return err
		}
		if c.JSON {
			return printJSON(g.stdout, list)
		}
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSTATUS\tLATEST\tPUBLISHED\tUPDATED")
		for _, cp := range list {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", cp.Name, cp.Status, cp.LatestVersion, cp.PublishedVersion, cp.UpdatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

// CampaignScheduleCmd previews a schedule.
type CampaignScheduleCmd struct {
	Campaign string `arg:""`
	Count    int    `short:"n" default:"5" help:"How many occurrences."`
}

// Run prints the next occurrences.
func (c *CampaignScheduleCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		next, err := b.CampaignSchedule(ctx, c.Campaign, c.Count)
		if err != nil {
			return err
		}
		if len(next) == 0 {
			fmt.Fprintln(g.stdout, "no scheduled occurrence")
		}
		for _, t := range next {
			fmt.Fprintln(g.stdout, t.Format(time.RFC3339))
		}
		return nil
	})
}

// CampaignConfirmCmd confirms a held send.
type CampaignConfirmCmd struct {
	RunID int64 `arg:"" name:"run"`
}

// Run confirms.
func (c *CampaignConfirmCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		n, err := b.RunConfirm(ctx, c.RunID)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "run %d: %d message(s) released for sending\n", c.RunID, n)
		return nil
	})
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
)

// CampaignResolveCmd decides what a run's in-doubt messages become.
type CampaignResolveCmd struct {
	RunID    int64  `arg:"" name:"run"`
	Resend   bool   `help:"Send them again (the same message, same Message-ID): a recipient may get two copies." xor:"decision"`
	Drop     bool   `help:"Settle them as not sent: nothing sends them again." xor:"decision"`
	Activity string `help:"Only this channel activity's messages."`
}

// Run resolves.
func (c *CampaignResolveCmd) Run(ctx context.Context, g *Globals) error {
	var decision string
	switch {
	case c.Resend && c.Drop:
		return errors.New("give --resend or --drop, not both")
	case c.Resend:
		decision = engine.Resend
	case c.Drop:
		decision = engine.Drop
	default:
		return errors.New("give --resend (send them again, a recipient may get two copies) or --drop (settle them as not sent)")
	}
	return withBackend(ctx, g, func(b Backend) error {
		res, err := b.RunResolve(ctx, c.RunID, engine.ResolveRequest{Decision: decision, Activity: c.Activity})
		if err != nil {
			return err
		}
		var acts []string
		for _, a := range slices.Sorted(maps.Keys(res.ByActivity)) {
			acts = append(acts, fmt.Sprintf("%s %d", a, res.ByActivity[a]))
		}
		verb := map[string]string{engine.Resend: "back in the queue", engine.Drop: "dropped (not sent)"}[res.Decision]
		fmt.Fprintf(g.stdout, "run %d: %d in-doubt message(s) %s (%s), by %s at %s\n", c.RunID, res.Messages, verb, strings.Join(acts, ", "), res.Actor, res.DecidedAt.Format(time.RFC3339))
		if res.Decision == engine.Resend {
			// Without a server nothing else would send them: they go now,
			// as campaign start sends; a server's dispatchers take them
			// themselves.
			if err := b.Send(ctx, c.RunID); err != nil {
				return err
			}
		}
		if figs, err := b.RunFigures(ctx, c.RunID); err == nil {
			printFigures(g, c.RunID, figs)
		}
		return nil
	})
}

// resolutionLine describes a recorded decision under its activity.
func resolutionLine(r delivery.Resolution) string {
	verb := map[string]string{engine.Resend: "resent", engine.Drop: "dropped"}[r.Decision]
	if verb == "" {
		verb = r.Decision
	}
	return fmt.Sprintf("in doubt, %s by %s at %s", verb, r.Actor, r.DecidedAt.UTC().Format(time.RFC3339))
}

// printInDoubtHint says how to decide what in-doubt messages become.
func printInDoubtHint(g *Globals, run int64, figs []delivery.Figures) {
	var n int64
	for _, f := range figs {
		n += f.InDoubt
	}
	if n > 0 {
		fmt.Fprintf(g.stdout, "%d message(s) in doubt (the provider may have them): fanfare campaign resolve %d --resend | --drop\n", n, run)
	}
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/outbound"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// EventsCmd groups the commands of the outbound event stream
// (docs/outbound.md): its destinations and their dead letters.
type EventsCmd struct {
	Destinations EventsDestinationsCmd `cmd:"" help:"List the outbound destinations with their cursor, lag (events not exported yet), lease holder and dead letters."`
	DeadLetters  EventsDeadLettersCmd  `cmd:"" name:"dead-letters" help:"List the batches a webhook refused every time (those waiting, newest first)."`
	DeadLetter   EventsDeadLetterCmd   `cmd:"" name:"dead-letter" help:"Show one dead letter with its body."`
	Redeliver    EventsRedeliverCmd    `cmd:"" help:"Post a dead letter again, once, with its webhook id and a fresh signature."`
}

// EventsDestinationsCmd lists the destinations.
type EventsDestinationsCmd struct {
	JSON bool `help:"Print as JSON."`
}

// Run lists.
func (c *EventsDestinationsCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		list, err := b.OutboundDestinations(ctx)
		if err != nil || c.JSON {
			if err != nil {
				return err
			}
			return printJSON(g.stdout, list)
		}
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tKIND\tEVENTS\tCURSOR\tLAG\tLEASE\tDEAD LETTERS\tTARGET")
		for _, d := range list {
			lease := "-"
			if d.LeaseOwner != "" {
				lease = d.LeaseOwner + " until " + d.LeaseUntil.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%t\t%d\t%d\t%s\t%d\t%s\n", d.Name, d.Kind, d.Events, d.Cursor, d.Lag, lease, d.DeadLetters, d.Target)
		}
		return tw.Flush()
	})
}

// EventsDeadLettersCmd lists dead letters.
type EventsDeadLettersCmd struct {
	Destination string `help:"Only those of this destination."`
	All         bool   `help:"Those redelivered too." xor:"which"`
	Redelivered bool   `help:"Only those redelivered." xor:"which"`
	Limit       int    `default:"100" help:"At most this many (1 to 1000)."`
	JSON        bool   `help:"Print as JSON."`
}

// Run lists.
func (c *EventsDeadLettersCmd) Run(ctx context.Context, g *Globals) error {
	f := outbound.Filter{Destination: c.Destination, Limit: c.Limit}
	if !c.All {
		f.Redelivered = &c.Redelivered
	}
	return withBackend(ctx, g, func(b Backend) error {
		list, err := b.DeadLetters(ctx, f)
		if err != nil || c.JSON {
			if err != nil {
				return err
			}
			return printJSON(g.stdout, list)
		}
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tDESTINATION\tWHAT\tITEMS\tATTEMPTS\tCREATED\tREDELIVERED\tERROR")
		for _, d := range list {
			redelivered := "-"
			if !d.RedeliveredAt.IsZero() {
				redelivered = d.RedeliveredAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", d.ID, d.Destination, deadLetterWhat(d), d.Items, d.Attempts, d.CreatedAt.Format(time.RFC3339), redelivered, d.Error)
		}
		return tw.Flush()
	})
}

// deadLetterWhat says what a dead letter holds: events 12-40, audience
// vip v3.
func deadLetterWhat(d outbound.DeadLetter) string {
	if d.Kind == outbound.KindAudience {
		return fmt.Sprintf("audience %s v%d", d.Audience, d.FirstSeq)
	}
	return fmt.Sprintf("events %d-%d", d.FirstSeq, d.LastSeq)
}

// EventsDeadLetterCmd shows a dead letter.
type EventsDeadLetterCmd struct {
	ID   int64 `arg:"" help:"The dead letter's id (fanfare events dead-letters)."`
	JSON bool  `help:"Print as JSON."`
}

// Run shows.
func (c *EventsDeadLetterCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		d, err := b.DeadLetter(ctx, c.ID)
		if err != nil || c.JSON {
			if err != nil {
				return err
			}
			return printJSON(g.stdout, d)
		}
		fmt.Fprintf(g.stdout, "dead letter %d to %s: %s, %d items, %d attempts, created %s\nerror: %s\n",
			d.ID, d.Destination, deadLetterWhat(*d), d.Items, d.Attempts, d.CreatedAt.Format(time.RFC3339), d.Error)
		if !d.RedeliveredAt.IsZero() {
			fmt.Fprintf(g.stdout, "redelivered %s\n", d.RedeliveredAt.Format(time.RFC3339))
		}
		fmt.Fprintf(g.stdout, "\n%s", d.Body)
		return nil
	})
}

// EventsRedeliverCmd redelivers a dead letter.
type EventsRedeliverCmd struct {
	ID int64 `arg:"" help:"The dead letter's id (fanfare events dead-letters)."`
}

// Run redelivers.
func (c *EventsRedeliverCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		d, err := b.DeadLetterRedeliver(ctx, c.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "dead letter %d (%s) redelivered to %s\n", d.ID, deadLetterWhat(*d), d.Destination)
		return nil
	})
}

// AudiencePublishCmd publishes a saved audience to a destination on every
// new version, or stops it.
type AudiencePublishCmd struct {
	Name       string   `arg:""`
	To         string   `help:"The destination (of the server's --outbound file)." xor:"publish"`
	Format     string   `default:"csv" enum:"csv,ndjson" help:"csv or ndjson."`
	Attributes []string `help:"The attributes each row carries after the key (default: the key, email and SMS attributes)." sep:","`
	Off        bool     `help:"Stop publishing it." xor:"publish"`
	JSON       bool     `help:"Print as JSON."`
}

// Run publishes, or stops.
func (c *AudiencePublishCmd) Run(ctx context.Context, g *Globals) error {
	if c.To == "" && !c.Off {
		return errors.New("give --to DESTINATION, or --off")
	}
	return withBackend(ctx, g, func(b Backend) error {
		if c.Off {
			if err := b.AudienceUnpublish(ctx, c.Name); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "audience %s is not published any more\n", c.Name)
			return nil
		}
		a, err := b.AudiencePublish(ctx, c.Name, service.PublishRequest{Destination: c.To, Format: c.Format, Attributes: c.Attributes})
		if err != nil || c.JSON {
			if err != nil {
				return err
			}
			return printJSON(g.stdout, a)
		}
		fmt.Fprintf(g.stdout, "audience %s published to %s (%s) now and after each new version\n", a.Name, a.Publish.Destination, publicationText(a.Publish))
		return nil
	})
}

// publicationText says what a publication writes: ndjson of customer_id,
// email.
func publicationText(p *audience.Publication) string {
	if len(p.Attributes) == 0 {
		return p.Format + " of the key and contact attributes"
	}
	return p.Format + " of the key and " + strings.Join(p.Attributes, ", ")
}

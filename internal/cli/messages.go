package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"
)

// MessagesCmd lists or shows what the sandbox captured.
type MessagesCmd struct {
	ID    string `arg:"" optional:"" help:"A message id to show whole."`
	RunID int64  `name:"run" help:"Only this run's messages."`
	Limit int    `default:"20" help:"How many, newest first (at most 10000)."`
	JSON  bool   `help:"Print as JSON."`
}

// Run lists or shows messages.
func (c *MessagesCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		if c.ID != "" {
			m, err := b.Message(ctx, c.ID)
			if err != nil {
				return err
			}
			if c.JSON {
				return printJSON(g.stdout, m)
			}
			fmt.Fprintf(g.stdout, "%s → %s (%s, %s, %d cop%s)\n", m.ID, m.Address, m.Channel, m.SentAt.Format(time.RFC3339), m.Copies, map[bool]string{true: "y", false: "ies"}[m.Copies == 1])
			var pretty any
			_ = json.Unmarshal(m.Content, &pretty)
			return printJSON(g.stdout, pretty)
		}
		list, err := b.Messages(ctx, c.RunID, c.Limit)
		if err != nil {
			return err
		}
		if c.JSON {
			return printJSON(g.stdout, list)
		}
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCHANNEL\tTO\tSENT")
		for _, m := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.ID, m.Channel, m.Address, m.SentAt.Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

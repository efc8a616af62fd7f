package cli

import (
	"context"
	"fmt"
)

// ProfileCmd acts on one profile across Fanfare's own records.
type ProfileCmd struct {
	Erase ProfileEraseCmd `cmd:"" help:"Erase a profile's messages: their events (opens, clicks, bounces…), the sandbox's copies and their outbox rows."`
}

// ProfileEraseCmd erases a profile's messages.
type ProfileEraseCmd struct {
	Dimension string   `required:"" help:"The targeting dimension of the profile (customers)."`
	Key       []string `arg:"" help:"The profile's key values, in key order."`
	JSON      bool     `help:"Print as JSON."`
}

// Run erases, and says what.
func (c *ProfileEraseCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		e, err := b.ProfileErase(ctx, c.Dimension, keyValues(c.Key))
		if err != nil {
			return err
		}
		if c.JSON {
			return printJSON(g.stdout, e)
		}
		fmt.Fprintf(g.stdout, "erased %d message(s) of %s %s, with their events and sandbox copies; its consent and suppressions stay\n", e.Messages, e.Dimension, e.ProfileKey)
		return nil
	})
}

package cli

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// ConsentCmd shows and records consent.
type ConsentCmd struct {
	Show   ConsentShowCmd   `cmd:"" help:"Show a profile's consent, by channel."`
	Set    ConsentSetCmd    `cmd:"" help:"Record a profile's consent for a channel: opt_in or opt_out."`
	Import ConsentImportCmd `cmd:"" help:"Import consent from a CSV file: the dimension's key attributes, channel, status (opt_in/opt_out), optionally updated_at and source."`
}

// ConsentShowCmd shows a profile's consent.
type ConsentShowCmd struct {
	Dimension string   `required:"" help:"The targeting dimension of the profile (customers)."`
	Key       []string `arg:"" help:"The profile's key values, in key order."`
	JSON      bool     `help:"Print as JSON."`
}

// Run prints the consent recorded for each channel, and says what the
// channels without a record mean.
func (c *ConsentShowCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		pc, err := b.Consent(ctx, c.Dimension, keyValues(c.Key))
		if err != nil {
			return err
		}
		if c.JSON {
			return printJSON(g.stdout, pc)
		}
		fmt.Fprintf(g.stdout, "%s %s\n", pc.Dimension, pc.ProfileKey)
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CHANNEL\tSTATUS\tSOURCE\tUPDATED")
		recorded := map[string]bool{}
		for _, x := range pc.Consent {
			recorded[x.Channel] = true
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.Channel, x.Status, x.Source, x.UpdatedAt.Format(time.RFC3339))
		}
		for _, ch := range []string{channel.Email, channel.SMS, channel.Push} {
			if !recorded[ch] {
				fmt.Fprintf(tw, "%s\t(none: marketing messages go)\t\t\n", ch)
			}
		}
		return tw.Flush()
	})
}

// ConsentSetCmd records a profile's consent for a channel.
type ConsentSetCmd struct {
	Dimension string   `required:"" help:"The targeting dimension of the profile (customers)."`
	Channel   string   `required:"" enum:"email,sms,push,tracking" help:"email, sms, push, or tracking (the consent to tracking opens and clicks)."`
	Status    string   `required:"" enum:"opt_in,opt_out" help:"opt_in or opt_out."`
	Source    string   `default:"cli" help:"Where the consent came from."`
	Key       []string `arg:"" help:"The profile's key values, in key order."`
}

// Run records the consent; every later send obeys it.
func (c *ConsentSetCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		key := keyValues(c.Key)
		if _, err := b.SetConsent(ctx, c.Dimension, key, c.Channel, c.Status, c.Source); err != nil {
			return err
		}
		pc, err := b.Consent(ctx, c.Dimension, key)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "%s %s: %s %s\n", pc.Dimension, pc.ProfileKey, c.Channel, c.Status)
		return nil
	})
}

// SuppressionsCmd reads and changes the suppression list.
type SuppressionsCmd struct {
	List   SuppressionsListCmd   `cmd:"" help:"List a channel's suppressed addresses, a page at a time, or look one up."`
	Add    SuppressionsAddCmd    `cmd:"" help:"Suppress an address: no campaign sends to it, transactional or not."`
	Remove SuppressionsRemoveCmd `cmd:"" help:"Take an address off the suppression list."`
}

// SuppressionsListCmd lists suppressed addresses.
type SuppressionsListCmd struct {
	Channel string `required:"" enum:"email,sms,push" help:"email, sms or push."`
	Address string `help:"Look this address up."`
	After   string `help:"List the addresses after this one (the last of the previous page)."`
	Limit   int    `default:"100" help:"At most this many (up to 1000)."`
	JSON    bool   `help:"Print as JSON."`
}

// Run lists a page, or the address looked up.
func (c *SuppressionsListCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		address, exact := c.After, false
		if c.Address != "" {
			address, exact = c.Address, true
		}
		list, err := b.Suppressions(ctx, c.Channel, address, exact, c.Limit)
		if err != nil {
			return err
		}
		if c.JSON {
			return printJSON(g.stdout, list)
		}
		if exact && len(list) == 0 {
			fmt.Fprintf(g.stdout, "%s is not suppressed for %s\n", c.Address, c.Channel)
			return nil
		}
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ADDRESS\tREASON\tSINCE")
		for _, x := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", x.Address, x.Reason, x.CreatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

// SuppressionsAddCmd suppresses an address.
type SuppressionsAddCmd struct {
	Channel string `required:"" enum:"email,sms,push" help:"email, sms or push."`
	Reason  string `default:"cli" help:"Why (a complaint, a hard bounce…)."`
	Address string `arg:"" help:"The address: an email address, an E.164 number or a push token."`
}

// Run suppresses the address.
func (c *SuppressionsAddCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		if err := b.Suppress(ctx, c.Channel, c.Address, c.Reason); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "%s suppressed for %s\n", c.Address, c.Channel)
		return nil
	})
}

// SuppressionsRemoveCmd takes an address off the list.
type SuppressionsRemoveCmd struct {
	Channel string `required:"" enum:"email,sms,push" help:"email, sms or push."`
	Address string `arg:"" help:"The address."`
}

// Run takes the address off the list.
func (c *SuppressionsRemoveCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		if err := b.Unsuppress(ctx, c.Channel, c.Address); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "%s is no longer suppressed for %s\n", c.Address, c.Channel)
		return nil
	})
}

// ConsentImportCmd imports a consent file.
type ConsentImportCmd struct {
	File      string `arg:"" type:"existingfile" help:"The CSV file."`
	Dimension string `required:"" help:"The targeting dimension the keys belong to (customers)."`
	Source    string `default:"import" help:"Where the consent came from, for rows without a source column."`
}

// Run imports the file and reports its rejected rows.
func (c *ConsentImportCmd) Run(ctx context.Context, g *Globals) error {
	f, err := os.Open(c.File)
	if err != nil {
		return err
	}
	defer f.Close()
	return withBackend(ctx, g, func(b Backend) error {
		res, err := b.ImportConsent(ctx, c.Dimension, c.Source, f)
		if err != nil {
			return err
		}
		rejected := res.Rows - res.Accepted // Rejects lists the first 1000
		fmt.Fprintf(g.stdout, "%s: %d rows, %d recorded, %d rejected\n", c.File, res.Rows, res.Accepted, rejected)
		for _, r := range res.Rejects {
			fmt.Fprintf(g.stdout, "  line %d: %s %q: %s\n", r.Line, r.Column, r.Value, r.Reason)
		}
		if rejected > 0 {
			return fmt.Errorf("%d row(s) rejected", rejected)
		}
		return nil
	})
}

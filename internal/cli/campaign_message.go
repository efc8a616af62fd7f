package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/fanfare-dev/fanfare/internal/service"
	"io"
	"sort"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/message"
)

// CampaignPreviewMessageCmd renders a channel activity for one profile.
type CampaignPreviewMessageCmd struct {
	Campaign string   `arg:"" help:"The campaign (its latest version)."`
	Activity string   `arg:"" help:"A channel activity (email, sms, push) of the campaign."`
	Key      []string `arg:"" help:"The profile's key values, in key order."`
	JSON     bool     `help:"Print as JSON."`
}

// Run renders and prints the message.
func (c *CampaignPreviewMessageCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		msg, err := b.PreviewMessage(ctx, c.Campaign, c.Activity, service.PreviewRequest{Key: keyValues(c.Key)})
		if err != nil {
			return contentError(g, err)
		}
		if c.JSON {
			return printJSON(g.stdout, msg)
		}
		printMessage(g.stdout, msg)
		fmt.Fprintln(g.stderr, "(a preview: enrichment columns render empty, the unsubscribe link is not a real one)")
		return nil
	})
}

// CampaignProofCmd sends a profile's message to test addresses.
type CampaignProofCmd struct {
	Campaign string   `arg:"" help:"The campaign (its latest version)."`
	Activity string   `arg:"" help:"A channel activity (email, sms, push) of the campaign."`
	Key      []string `arg:"" help:"The profile's key values, in key order."`
	To       []string `required:"" help:"A test address (email, E.164 number or push token); repeat for several."`
	JSON     bool     `help:"Print as JSON."`
}

// Run sends the proofs and prints one line per address.
func (c *CampaignProofCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		msg, res, err := b.SendProof(ctx, c.Campaign, c.Activity, service.ProofRequest{Key: keyValues(c.Key), To: c.To})
		if err != nil {
			return contentError(g, err)
		}
		if c.JSON {
			return printJSON(g.stdout, map[string]any{"message": msg, "results": res})
		}
		failed := 0
		for i, r := range res {
			to := ""
			if i < len(c.To) {
				to = c.To[i]
			}
			line := fmt.Sprintf("%s: %s (%s", to, r.Outcome, r.ID)
			if r.ProviderID != "" {
				line += ", " + r.ProviderID
			}
			line += ")"
			if r.Error != "" {
				line += " — " + r.Error
			}
			fmt.Fprintln(g.stdout, line)
			if r.Outcome != channel.Sent {
				failed++
			}
		}
		if failed > 0 {
			return &exitError{code: 1, msg: fmt.Sprintf("%d of %d proof(s) not sent", failed, len(res))}
		}
		return nil
	})
}

// keyValues passes command-line key values on as text; the store side
// converts those of integer key attributes.
func keyValues(key []string) []any {
	out := make([]any, len(key))
	for i, k := range key {
		out[i] = k
	}
	return out
}

// contentError prints the problems of invalid message content one per
// line.
func contentError(g *Globals, err error) error {
	verr, ok := err.(*message.ValidationError)
	if !ok {
		return campaignError(g, "", err)
	}
	for _, p := range verr.Problems {
		fmt.Fprintf(g.stderr, "%s: %s\n", p.Field, p.Message)
	}
	return &exitError{code: 1, msg: fmt.Sprintf("%d problem(s) in the message content", len(verr.Problems))}
}

// printMessage prints a rendered message for a person to read.
func printMessage(w io.Writer, m *channel.Message) {
	to := m.To
	if to == "" {
		to = "(the profile has no address for " + m.Channel + ")"
	}
	switch {
	case m.Email != nil:
		e := m.Email
		fmt.Fprintf(w, "From: %s\nTo: %s\n", e.From, to)
		if e.ReplyTo != "" {
			fmt.Fprintf(w, "Reply-To: %s\n", e.ReplyTo)
		}
		fmt.Fprintf(w, "Subject: %s\n", e.Subject)
		if e.Preheader != "" {
			fmt.Fprintf(w, "Preheader: %s\n", e.Preheader)
		}
		names := make([]string, 0, len(e.Headers))
		for k := range e.Headers {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(w, "%s: %s\n", k, e.Headers[k])
		}
		fmt.Fprintf(w, "\n--- text ---\n%s\n", strings.TrimRight(e.Text, "\n"))
		if e.HTML != "" {
			fmt.Fprintf(w, "\n--- html ---\n%s\n", strings.TrimRight(e.HTML, "\n"))
		}
	case m.SMS != nil:
		enc, segs, chars := message.SegmentInfo(m.SMS.Text)
		if m.SMS.From != "" {
			fmt.Fprintf(w, "From: %s\n", m.SMS.From)
		}
		fmt.Fprintf(w, "To: %s\nSegments: %d (%s, %d characters)\n\n%s\n", to, segs, enc, chars, m.SMS.Text)
	case m.Push != nil:
		fmt.Fprintf(w, "To: %s\n", to)
		if m.Platform != "" {
			fmt.Fprintf(w, "Platform: %s\n", m.Platform)
		}
		b, _ := json.MarshalIndent(m.Push, "", "  ")
		fmt.Fprintf(w, "\n%s\n", b)
	}
}

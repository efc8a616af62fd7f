package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/fanfare-dev/fanfare/internal/service"
)

// The campaign catalogue's commands beside the lifecycle of runs:
// archive, unarchive, delete, and the document's schema.

// CampaignArchiveCmd archives a campaign.
type CampaignArchiveCmd struct {
	Campaign string `arg:""`
}

// Run archives.
func (c *CampaignArchiveCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		cp, err := b.CampaignArchive(ctx, c.Campaign)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "%s: %s\n", cp.Name, cp.Status)
		return nil
	})
}

// CampaignUnarchiveCmd brings an archived campaign back.
type CampaignUnarchiveCmd struct {
	Campaign string `arg:""`
}

// Run unarchives.
func (c *CampaignUnarchiveCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		cp, err := b.CampaignUnarchive(ctx, c.Campaign)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "%s: %s\n", cp.Name, cp.Status)
		return nil
	})
}

// CampaignDeleteCmd deletes a campaign that never ran.
type CampaignDeleteCmd struct {
	Campaign string `arg:""`
}

// Run deletes.
func (c *CampaignDeleteCmd) Run(ctx context.Context, g *Globals) error {
	return withBackend(ctx, g, func(b Backend) error {
		if err := b.CampaignDelete(ctx, c.Campaign); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "%s: deleted\n", c.Campaign)
		return nil
	})
}

// CampaignSchemaCmd prints the campaign document's JSON Schema.
type CampaignSchemaCmd struct{}

// Run prints it, indented.
func (c *CampaignSchemaCmd) Run(g *Globals) error {
	raw, err := service.CampaignSchema()
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = g.stdout.Write(out.Bytes())
	return err
}

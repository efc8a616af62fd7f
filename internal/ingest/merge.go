package ingest

import (
	"context"
	"fmt"
	"strings"
)

// checkLinks finds staged rows whose many-to-one (or one-to-one) link names
// a key that exists neither in the linked table nor, for a self-link, among
// the staged rows. They are rejected, or kept and reported, per policy.
func (im *importer) checkLinks(ctx context.Context) error {
	for _, l := range im.e.DeclaredLinks() {
		target := im.m.Entity(l.Entity)
		if target == nil {
			continue
		}
		reason := fmt.Sprintf("link %s: no %s with %s", l.Name, target.Name, strings.Join(target.Key, ", "))
		if im.opts.Orphans == OrphansKeep {
			reason += " (row kept)"
		}
		col := strings.Join(l.Columns, ",")
		// Report every orphan in the store, set-based, and the first few in
		// the summary.
		n, err := im.stage.RejectOrphans(ctx, l, target, col, reason)
		if err != nil {
			return fmt.Errorf("check link %s: %w", l.Name, err)
		}
		if n == 0 {
			continue
		}
		if room := SummaryRejects - len(im.sum.Rejects); room > 0 {
			err := im.stage.SampleOrphans(ctx, l, target, room, func(line int64, value string) {
				im.sum.Rejects = append(im.sum.Rejects, Reject{Line: line, Column: col, Value: value, Reason: reason})
			})
			if err != nil {
				return err
			}
		}
		if im.opts.Orphans == OrphansKeep {
			im.sum.OrphansKept += n
			continue
		}
		if n, err = im.stage.DropOrphans(ctx, l, target); err != nil {
			return fmt.Errorf("drop orphan rows of link %s: %w", l.Name, err)
		}
		im.sum.Rejected += n
	}
	return nil
}

// merge applies the staged rows to the table in one transaction (see
// store.Staging.Merge) and counts what it did.
func (im *importer) merge(ctx context.Context) error {
	n, err := im.stage.Merge(ctx)
	im.sum.Inserted, im.sum.Updated, im.sum.Deleted, im.sum.Unchanged, im.sum.Superseded = n.Inserted, n.Updated, n.Deleted, n.Unchanged, n.Superseded
	return err
}

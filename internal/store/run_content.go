package store

import "context"

// RunContent is what sending a run's messages reads of it: its campaign
// version's document (the activities' content and settings), its mode
// and its parameters (JSON).
type RunContent struct {
	Document string
	Mode     string
	Params   string
}

// Content returns a run's content, or ErrNotFound.
func (r Runs) Content(ctx context.Context, runID int64) (RunContent, error) {
	var c RunContent
	err := r.row(ctx, []any{&c.Document, &c.Mode, &c.Params}, `SELECT v.document, r.mode, coalesce(r.params, '') FROM ff_runs r
		JOIN ff_campaign_versions v ON v.campaign_id = r.campaign_id AND v.version = r.version WHERE r.id = $1`, runID)
	return c, err
}

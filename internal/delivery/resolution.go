package delivery

import (
	"context"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Resolution is an operator's decision on an activity's in-doubt messages
// (fanfare campaign resolve): resend or drop, how many messages it moved,
// who took it and when.
type Resolution struct {
	Decision  string      `json:"decision"`
	Messages  int64       `json:"messages"`
	Actor     audit.Actor `json:"actor"`
	DecidedAt time.Time   `json:"decided_at"`
}

// addResolutions adds a run's recorded decisions to its figures by
// activity, oldest first.
func addResolutions(ctx context.Context, s *store.Store, runID int64, byAct map[string]*Figures) error {
	list, err := s.Outbox().Resolutions(ctx, runID)
	if err != nil {
		return err
	}
	for _, r := range list {
		if f := byAct[r.Activity]; f != nil {
			f.Resolutions = append(f.Resolutions, Resolution{Decision: r.Decision, Messages: r.Messages,
				Actor: audit.Actor{Kind: r.ActorKind, Name: r.ActorName}, DecidedAt: r.DecidedAt})
		}
	}
	return nil
}

package delivery

import (
	"context"
	"fmt"
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
	rows, err := s.DB.QueryContext(ctx, `SELECT activity_id, decision, messages, actor_kind, actor_name, decided_at FROM ff_outbox_resolutions
		WHERE run_id = $1 ORDER BY decided_at, activity_id`, runID)
	if err != nil {
		return fmt.Errorf("read the resolutions of run %d: %w", runID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var act string
		var r Resolution
		if err := rows.Scan(&act, &r.Decision, &r.Messages, &r.Actor.Kind, &r.Actor.Name, &r.DecidedAt); err != nil {
			return err
		}
		r.DecidedAt = r.DecidedAt.UTC()
		if f := byAct[act]; f != nil {
			f.Resolutions = append(f.Resolutions, r)
		}
	}
	return rows.Err()
}

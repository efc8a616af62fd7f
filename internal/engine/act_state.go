package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// Campaign state (ff_campaign_state) is what runs of a campaign pass on to
// later runs, such as an incremental query's high-water mark. An executor
// reads it freely but never writes it: it keeps the new values with
// keepState, and the transaction that completes the activity writes them
// with saveState, so the state moves exactly when the activity's outputs
// are recorded.

// keepState records a campaign state value for the completing transaction.
func (v *env) keepState(key, value string) {
	if v.kept == nil {
		v.kept = map[string]string{}
	}
	v.kept[key] = value
}

// saveState writes the state values kept by v's executor inside tx, the
// transaction that completes the activity.
func (e *Engine) saveState(ctx context.Context, tx *store.Tx, v *env) error {
	names := make([]string, 0, len(v.kept))
	for n := range v.kept {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := e.store.Campaigns().On(tx).SetState(ctx, v.st.run.CampaignID, n, v.kept[n]); err != nil {
			return fmt.Errorf("save campaign state %s: %w", n, err)
		}
	}
	return nil
}

// state reads a campaign state value; ok is false when there is none.
func (v *env) state(key string) (value string, ok bool, err error) {
	value, err = v.store().Campaigns().State(v.ctx, v.st.run.CampaignID, key)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("%s: read campaign state %s: %w", v.act.ID, key, err)
	}
	return value, true, nil
}

package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
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
func (e *Engine) saveState(ctx context.Context, tx *sql.Tx, v *env) error {
	names := make([]string, 0, len(v.kept))
	for n := range v.kept {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ff_campaign_state (campaign_id, key, value) VALUES ($1, $2, $3)
			ON CONFLICT (campaign_id, key) DO UPDATE SET value = excluded.value`, v.st.run.CampaignID, n, v.kept[n]); err != nil {
			return fmt.Errorf("save campaign state %s: %w", n, err)
		}
	}
	return nil
}

// state reads a campaign state value; ok is false when there is none.
func (v *env) state(key string) (value string, ok bool, err error) {
	err = v.store().DB.QueryRowContext(v.ctx, `SELECT value FROM ff_campaign_state WHERE campaign_id = $1 AND key = $2`,
		v.st.run.CampaignID, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("%s: read campaign state %s: %w", v.act.ID, key, err)
	}
	return value, true, nil
}

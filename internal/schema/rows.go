package schema

import (
	"context"
	"fmt"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// EntityRows is an entity of the current model and the exact number of
// rows its table holds.
type EntityRows struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
	// Targeting is true for a targeting dimension (an entity that
	// receives messages).
	Targeting bool `json:"targeting"`
}

// Rows counts the rows of every entity of the current model, in the
// model's order, and returns the model's version with them
// (store.ErrNotFound before any model). The counts are exact: count(*)
// over each table, whose cost grows with the table on PostgreSQL.
func Rows(ctx context.Context, s *store.Store) (int64, []EntityRows, error) {
	m, v, err := Current(ctx, s)
	if err != nil {
		return 0, nil, err
	}
	out := make([]EntityRows, 0, len(m.Entities))
	for _, e := range m.Entities {
		n, err := s.Schema().CountRows(ctx, e.Name)
		if err != nil {
			return 0, nil, fmt.Errorf("count the rows of %s: %w", e.Name, err)
		}
		out = append(out, EntityRows{Name: e.Name, Rows: n, Targeting: e.Targeting != nil})
	}
	return v, out, nil
}

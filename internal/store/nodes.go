package store

import (
	"context"
	"database/sql"
	"time"
)

// Nodes is the table of Fanfare servers sharing the store, ff_nodes:
// each node beats (Beat) every few seconds with its health.
type Nodes struct{ area }

// Nodes returns the nodes' area.
func (s *Store) Nodes() Nodes { return Nodes{s.area()} }

// NodeRecord is one node as it last reported itself.
type NodeRecord struct {
	ID        string
	URL       string
	Version   string
	PID       int64
	StartedAt time.Time
	SeenAt    time.Time
	// Status is the node's health status (ok, degraded, failing); Health
	// its details as a JSON object.
	Status string
	Health string
}

// Beat records the node as seen now, with its health.
func (n Nodes) Beat(ctx context.Context, r NodeRecord) error {
	_, err := n.exec(ctx, `INSERT INTO ff_nodes (node_id, url, version, pid, started_at, seen_at, status, health) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (node_id) DO UPDATE SET url = excluded.url, seen_at = excluded.seen_at, status = excluded.status, health = excluded.health`,
		r.ID, r.URL, r.Version, r.PID, r.StartedAt.UTC(), r.SeenAt.UTC(), r.Status, r.Health)
	return err
}

// List returns every node, oldest first.
func (n Nodes) List(ctx context.Context) ([]NodeRecord, error) {
	var out []NodeRecord
	err := n.each(ctx, func(rows *sql.Rows) error {
		var r NodeRecord
		if err := rows.Scan(&r.ID, &r.URL, &r.Version, &r.PID, &r.StartedAt, &r.SeenAt, &r.Status, &r.Health); err != nil {
			return err
		}
		r.StartedAt, r.SeenAt = r.StartedAt.UTC(), r.SeenAt.UTC()
		out = append(out, r)
		return nil
	}, `SELECT node_id, url, version, pid, started_at, seen_at, status, health FROM ff_nodes ORDER BY started_at, node_id`)
	return out, err
}

// Remove forgets a node (one that stops cleanly).
func (n Nodes) Remove(ctx context.Context, id string) error {
	_, err := n.exec(ctx, `DELETE FROM ff_nodes WHERE node_id = $1`, id)
	return err
}

// Forget removes the nodes not seen since before, and returns how many.
func (n Nodes) Forget(ctx context.Context, before time.Time) (int64, error) {
	return n.exec(ctx, `DELETE FROM ff_nodes WHERE seen_at < $1`, before.UTC())
}

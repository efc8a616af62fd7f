package service

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/google/uuid"
)

// How nodes tell the others they are there: a beat every NodeBeat; one
// not seen for NodeSilentAfter is shown silent (stopped without saying,
// or cut off from the store); one not seen for NodeForgetAfter is
// forgotten.
const (
	NodeBeat        = 5 * time.Second
	NodeSilentAfter = 3 * NodeBeat
	NodeForgetAfter = 24 * time.Hour
)

// Node is a Fanfare server sharing the store, as Home shows it.
type Node struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Version   string    `json:"version"`
	PID       int64     `json:"pid"`
	StartedAt time.Time `json:"started_at"`
	SeenAt    time.Time `json:"seen_at"`
	// Status is what the node last reported (ok, degraded, failing), or
	// silent when it has not been seen for NodeSilentAfter.
	Status string `json:"status"`
	// Health is the node's last health report (GET /api/health's answer
	// on that node).
	Health json.RawMessage `json:"health"`
}

// NodeStatusSilent is the status of a node not heard from lately.
const NodeStatusSilent = "silent"

// Nodes lists the servers sharing the store, oldest first.
func (l *Local) Nodes(ctx context.Context) ([]Node, error) {
	recs, err := l.store.Nodes().List(ctx)
	if err != nil {
		return nil, err
	}
	now := l.eng.Now()
	out := make([]Node, 0, len(recs))
	for _, r := range recs {
		n := Node{ID: r.ID, URL: r.URL, Version: r.Version, PID: r.PID, StartedAt: r.StartedAt, SeenAt: r.SeenAt, Status: r.Status, Health: json.RawMessage(r.Health)}
		if now.Sub(r.SeenAt) > NodeSilentAfter {
			n.Status = NodeStatusSilent
		}
		out = append(out, n)
	}
	return out, nil
}

// Beating is a node's place in the table of nodes, while it runs.
type Beating struct {
	l   *Local
	rec store.NodeRecord
}

// JoinNodes makes this process a node of the store's table, answering at
// url: Beat reports it, Leave removes it.
func (l *Local) JoinNodes(url, version string) *Beating {
	now := l.eng.Now()
	return &Beating{l: l, rec: store.NodeRecord{ID: uuid.NewString(), URL: url, Version: version, PID: int64(os.Getpid()), StartedAt: now}}
}

// Beat records the node as seen now with its health (status and a
// JSON-encodable report), and forgets nodes long gone.
func (b *Beating) Beat(ctx context.Context, status string, health any) error {
	raw, err := json.Marshal(health)
	if err != nil {
		return err
	}
	r := b.rec
	r.SeenAt, r.Status, r.Health = b.l.eng.Now(), status, string(raw)
	if err := b.l.store.Nodes().Beat(ctx, r); err != nil {
		return err
	}
	_, err = b.l.store.Nodes().Forget(ctx, r.SeenAt.Add(-NodeForgetAfter))
	return err
}

// Leave removes the node from the table (it stops cleanly).
func (b *Beating) Leave(ctx context.Context) error { return b.l.store.Nodes().Remove(ctx, b.rec.ID) }

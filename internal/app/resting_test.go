package app

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestRestingIsClusterWide: the metrics' resting providers are those any
// live node rests, as its last beat to the store said — so every node
// reports the same — not a node silent for longer than NodeSilentAfter.
func TestRestingIsClusterWide(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		for _, n := range []store.NodeRecord{
			{ID: "n1", URL: "http://n1", Version: "t", PID: 1, StartedAt: now, SeenAt: now, Status: "degraded", Health: `{"status":"degraded","providers_failing":[{"channel":"sms","until":"2026-12-07T05:00:00Z","rest":"1m0s"}]}`},
			{ID: "n2", URL: "http://n2", Version: "t", PID: 2, StartedAt: now, SeenAt: now, Status: "ok", Health: `{"status":"ok"}`},
			{ID: "n3", URL: "http://n3", Version: "t", PID: 3, StartedAt: now, SeenAt: now.Add(-2 * service.NodeSilentAfter), Status: "degraded", Health: `{"status":"degraded","providers_failing":[{"channel":"push"}]}`},
		} {
			if err := s.Nodes().Beat(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		if got := restingChannels(s, nil, slog.New(slog.DiscardHandler))(); !slices.Equal(got, []string{"sms"}) {
			t.Fatalf("resting %v; want [sms]: n1's rest, not silent n3's", got)
		}
	})
}

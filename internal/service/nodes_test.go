package service_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// TestNodesShowEveryServer: two nodes of one store report themselves,
// one healthy and one whose email provider rests; both are listed, with
// their health, by either implementation; a node that stops reporting is
// shown silent, and one that leaves is gone.
func TestNodesShowEveryServer(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		ctx := context.Background()
		a := service.New(service.Config{Store: im.store, Log: quiet()})
		b := service.New(service.Config{Store: im.store, Log: quiet()})
		t.Cleanup(func() { a.Close(); b.Close() })
		na, nb := a.JoinNodes("http://node-a:8080", "test"), b.JoinNodes("http://node-b:8080", "test")
		if err := na.Beat(ctx, "ok", map[string]any{"status": "ok", "version": "test", "store": "x", "pid": 1}); err != nil {
			t.Fatal(err)
		}
		if err := nb.Beat(ctx, "degraded", map[string]any{"status": "degraded", "version": "test", "store": "x", "pid": 2,
			"providers_failing": []map[string]any{{"channel": "email", "rest": "1m0s", "until": time.Now().Add(time.Minute)}}}); err != nil {
			t.Fatal(err)
		}
		nodes := got(im.svc.Nodes(im.ctx)).must(t)
		byURL := map[string]service.Node{}
		for _, n := range nodes {
			byURL[n.URL] = n
		}
		if len(nodes) != 2 || byURL["http://node-a:8080"].Status != "ok" || byURL["http://node-b:8080"].Status != "degraded" {
			t.Fatalf("nodes = %+v", nodes)
		}
		var health struct {
			Failing []struct{ Channel string } `json:"providers_failing"`
		}
		if err := json.Unmarshal(byURL["http://node-b:8080"].Health, &health); err != nil || len(health.Failing) != 1 || health.Failing[0].Channel != "email" {
			t.Errorf("node b's health = %s (%v)", byURL["http://node-b:8080"].Health, err)
		}

		// A node that last reported a minute ago (its row written by hand):
		// silent.
		old := store.NodeRecord{ID: "gone-quiet", URL: "http://node-c:8080", Version: "test", PID: 3, StartedAt: time.Now().Add(-time.Hour),
			SeenAt: time.Now().Add(-time.Minute), Status: "ok", Health: `{"status":"ok","version":"test","store":"x","pid":3}`}
		if err := im.store.Nodes().Beat(ctx, old); err != nil {
			t.Fatal(err)
		}
		for _, n := range got(im.svc.Nodes(im.ctx)).must(t) {
			if n.URL == "http://node-c:8080" && n.Status != service.NodeStatusSilent {
				t.Errorf("a node not seen for a minute is %s, want silent", n.Status)
			}
		}
		if err := na.Leave(ctx); err != nil {
			t.Fatal(err)
		}
		for _, n := range got(im.svc.Nodes(im.ctx)).must(t) {
			if n.URL == "http://node-a:8080" {
				t.Error("a node that left is still listed")
			}
		}
	})
}

package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/metrics"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// serveMetrics serves /metrics, unauthenticated, on --metrics-listen when
// it is set (the operator chose an address only the monitoring reaches);
// stop closes it. With no address it does nothing: the main address
// serves /metrics behind the API's auth either way.
func (c *ServeCmd) serveMetrics(m *metrics.Metrics, log *slog.Logger) (stop func(), err error) {
	if c.MetricsListen == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", c.MetricsListen)
	if err != nil {
		return nil, fmt.Errorf("listen on --metrics-listen %s: %w", c.MetricsListen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: c.ReadHeaderTimeout, IdleTimeout: c.IdleTimeout}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serve metrics", "addr", ln.Addr().String(), "err", err)
		}
	}()
	log.Info("metrics served", "url", "http://"+dialable(ln.Addr())+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}

// restingChannels lists the channels whose provider any node rests: this
// node's dispatcher now, and every node seen within
// service.NodeSilentAfter as its last beat to the store said (its
// health's providers_failing), so every node reports the same.
func restingChannels(s *store.Store, d *delivery.Dispatcher, log *slog.Logger) func() []string {
	return func() []string {
		seen := map[string]bool{}
		if d != nil {
			for _, o := range d.Outages() {
				seen[o.Channel] = true
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		nodes, err := s.Nodes().List(ctx)
		if err != nil {
			log.Warn("metrics: read the nodes' health", "err", err)
		}
		for _, n := range nodes {
			var h struct {
				ProvidersFailing []delivery.Outage `json:"providers_failing"`
			}
			if time.Since(n.SeenAt) > service.NodeSilentAfter || json.Unmarshal([]byte(n.Health), &h) != nil {
				continue
			}
			for _, o := range h.ProvidersFailing {
				seen[o.Channel] = true
			}
		}
		return slices.Sorted(maps.Keys(seen))
	}
}

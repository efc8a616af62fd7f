package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/metrics"
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

// restingChannels lists the channels whose provider d rests (none
// without a dispatcher).
func restingChannels(d *delivery.Dispatcher) func() []string {
	return func() []string {
		if d == nil {
			return nil
		}
		var out []string
		for _, o := range d.Outages() {
			out = append(out, o.Channel)
		}
		return out
	}
}

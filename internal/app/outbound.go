package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/outbound"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// outboundFlags configure the outbound destinations: events streamed to
// files and webhooks, audiences published there (docs/outbound.md).
type outboundFlags struct {
	Outbound     string        `name:"outbound" env:"FANFARE_OUTBOUND" type:"existingfile" help:"A JSON file of outbound destinations: directories of rotated NDJSON files and signed webhooks that receive every event, and saved audiences published to them (docs/outbound.md)."`
	OutboundPoll time.Duration `name:"outbound-poll" env:"FANFARE_OUTBOUND_POLL" default:"1s" help:"How often an idle exporter looks for new events."`
}

// outbound reads the destinations' file; nil when none is configured.
func (f outboundFlags) outbound() (*outbound.Config, error) {
	if f.Outbound == "" {
		return nil, nil
	}
	return outbound.Load(f.Outbound)
}

// outboundSet is the configured destinations over the store, nil for
// none: the service holds it (dead letters, audiences published) and
// startOutbound runs its exporters.
func outboundSet(s *store.Store, c *outbound.Config, lease time.Duration, log *slog.Logger) *outbound.Set {
	if c == nil || len(c.Destinations) == 0 {
		return nil
	}
	return outbound.New(s, c, outbound.Options{Log: log, Lease: lease})
}

// startOutbound runs the exporters of every destination that streams
// events, as a node of its own name; stop ends them (each publishes the
// file it was writing and lets its lease go) and waits.
func startOutbound(set *outbound.Set, poll time.Duration, log *slog.Logger) (stop func()) {
	if set == nil {
		return func() {}
	}
	owner := nodeName()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			if err := set.Run(ctx, owner, poll); err != nil && ctx.Err() == nil {
				log.Error("outbound exporters", "err", err)
				time.Sleep(poll)
			}
		}
	})
	log.Info("outbound destinations", "destinations", set.Destinations(), "node", owner)
	return func() { cancel(); wg.Wait() }
}

// nodeName names this process among the nodes sharing the store.
func nodeName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

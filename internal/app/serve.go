package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ServeCmd runs the HTTP API.
type ServeCmd struct {
	Addr      string        `default:":8080" env:"FANFARE_ADDR" help:"Address to listen on."`
	Demo      bool          `help:"Load the retail demo (model and data) when the store has no model yet."`
	Customers int           `default:"10000" help:"Customers to generate with --demo."`
	Workers   int           `default:"2" env:"FANFARE_WORKERS" help:"Campaign activities this node runs at once."`
	Lease     time.Duration `default:"30s" env:"FANFARE_LEASE" help:"How long a node's claim on an activity lasts without a heartbeat (another node takes over after it)."`
	deliveryFlags
	httpFlags
}

// Run serves until interrupted.
func (c *ServeCmd) Run(ctx context.Context, g *Globals) error {
	if g.DatabaseURL == "" {
		if sf, err := readServerFile(g.DataDir); err == nil && pidAlive(sf.PID) {
			return fmt.Errorf("a fanfare server (pid %d) already serves %s at %s", sf.PID, g.DataDir, sf.URL)
		}
	}
	s, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	g.log.Info("store open", "store", s.Dialect.Name(), "location", s.Location)

	if c.Demo {
		if err := loadDemoIfEmpty(ctx, g, s, c.Customers); err != nil {
			return err
		}
	}
	token := g.apiToken()
	if token == "" {
		if token, err = ensureToken(g.DataDir); err != nil {
			return err
		}
		g.log.Info("API token created", "file", tokenPath(g.DataDir))
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	url := "http://" + dialable(ln.Addr())
	if err := writeServerFile(g.DataDir, serverFile{URL: url, PID: os.Getpid()}); err != nil {
		ln.Close()
		return fmt.Errorf("write server file: %w", err)
	}
	defer os.Remove(serverFilePath(g.DataDir))

	key, err := secretKey(g.DataDir)
	if err != nil {
		return err
	}
	providers, err := c.providers(s)
	if err != nil {
		return err
	}
	publicURL := c.PublicURL
	if publicURL == "" {
		publicURL = url
	}
	eng := engine.New(engine.Config{Store: s, Log: g.log, Workers: c.Workers, Lease: c.Lease, FileLimits: g.limits()})
	disp := delivery.New(delivery.Config{Store: s, Log: g.log, Providers: providers, ProviderRate: c.providerRates(), Owner: eng.Queue().Owner, Lease: c.Lease,
		Renderer: &delivery.CampaignRenderer{Store: s, Signer: delivery.Signer{Key: key}, PublicURL: publicURL}})
	workCtx, stopWork := context.WithCancel(context.Background())
	var work sync.WaitGroup
	work.Add(3)
	go func() { defer work.Done(); _ = eng.Run(workCtx) }()
	go func() { defer work.Done(); housekeeping(workCtx, eng, g.log) }()
	go func() { defer work.Done(); _ = disp.Run(workCtx, 200*time.Millisecond) }()
	defer func() {
		stopWork()
		work.Wait()
		for _, p := range providers {
			p.Close()
		}
	}()

	handler := api.New(api.Config{Store: s, Engine: eng, Log: g.log, Token: token, UnsubscribeKey: key, Version: Version,
		SMSAuthToken: c.smsAuthToken(), PublicURL: publicURL, Providers: providers, Outages: disp.Outages,
		Limits: g.limits(), Transfer: c.transfer()})
	srv := c.server(handler)
	g.log.Info("fanfare serving", "url", url, "api", url+"/api/openapi.json")
	err = api.Serve(ctx, srv, ln, g.log)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// dialable turns a listening address into one a client can dial.
func dialable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		return fmt.Sprintf("127.0.0.1:%d", tcp.Port)
	}
	return tcp.String()
}

func loadDemoIfEmpty(ctx context.Context, g *Globals, s *store.Store, customers int) error {
	_, _, err := schema.Current(ctx, s)
	if err == nil {
		g.log.Info("store already has a data model; demo not loaded")
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return runDemo(ctx, g, &local{s: s, eng: engine.New(engine.Config{Store: s, Log: g.log})}, DemoCmd{Customers: customers, Seed: 1})
}

// housekeeping starts scheduled runs when they come due and drops the
// working tables of runs past their retention.
func housekeeping(ctx context.Context, eng *engine.Engine, log *slog.Logger) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastCleanup := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := eng.Tick(ctx); err != nil && ctx.Err() == nil {
			log.Error("scheduled runs", "err", err)
		}
		if time.Since(lastCleanup) > 10*time.Minute {
			lastCleanup = time.Now()
			if n, err := eng.Cleanup(ctx); err != nil && ctx.Err() == nil {
				log.Error("clean up working tables", "err", err)
			} else if n > 0 {
				log.Info("working tables of finished runs dropped", "runs", n)
			}
		}
	}
}

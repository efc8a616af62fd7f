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
	"github.com/fanfare-dev/fanfare/internal/cli"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/metrics"
	"github.com/fanfare-dev/fanfare/internal/outbound"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ServeCmd runs the HTTP API.
type ServeCmd struct {
	Addr      string        `default:":8080" env:"FANFARE_ADDR" help:"Address to listen on."`
	Demo      bool          `help:"Load the retail demo (model and data) when the store has no model yet."`
	Customers int           `default:"10000" help:"Customers to generate with --demo."`
	Workers   int           `default:"2" env:"FANFARE_WORKERS" help:"Campaign activities this node runs at once."`
	Lease     time.Duration `default:"30s" env:"FANFARE_LEASE" help:"How long a node's claim on an activity or a message lasts without a heartbeat (every lease/3): on PostgreSQL the other nodes take over the work of a node silent for longer (at least 5s)."`
	// SessionIdle and SessionMaxAge bound the console's sessions.
	SessionIdle   time.Duration `default:"12h" env:"FANFARE_SESSION_IDLE" help:"A console session unused for this long ends."`
	SessionMaxAge time.Duration `default:"168h" env:"FANFARE_SESSION_MAX_AGE" help:"A console session ends this long after its sign-in, however used."`
	// MetricsListen serves /metrics without auth on an address of the
	// operator's choosing; the main address serves it behind the API's.
	MetricsListen string `name:"metrics-listen" env:"FANFARE_METRICS_LISTEN" help:"Also serve Prometheus metrics at /metrics on this address (e.g. 127.0.0.1:9464), without authentication: choose an address only your monitoring reaches. The main address serves /metrics to API tokens."`
	deliveryFlags
	httpFlags
	trackFlags
	bounceFlags
	outboundFlags
	// destinations are the --outbound file's, read by Validate.
	destinations *outbound.Config
}

// Validate checks the flags before anything starts.
func (c *ServeCmd) Validate() error {
	if c.Lease < delivery.MinLease {
		return fmt.Errorf("--lease (FANFARE_LEASE) %s: must be at least %s, or a node slowed down by its machine could lose the work it is doing to another", c.Lease, delivery.MinLease)
	}
	if c.SessionIdle <= 0 || c.SessionMaxAge <= 0 {
		return fmt.Errorf("--session-idle %s and --session-max-age %s: both must be positive", c.SessionIdle, c.SessionMaxAge)
	}
	// A bounce address is checked now; its keyring comes with the store.
	if _, err := c.verp(nil); err != nil {
		return err
	}
	var err error
	c.destinations, err = c.outbound()
	return err
}

// Run serves until interrupted.
func (c *ServeCmd) Run(ctx context.Context, g *cli.Globals) error {
	unlock, err := lockDataDir(g)
	if err != nil {
		return err
	}
	defer unlock()
	s, err := openStore(ctx, g, true)
	if err != nil {
		return err
	}
	defer s.Close()
	d := s.Describe()
	g.Log().Info("store open", "store", d.Kind, "location", d.Location)

	ring, verp, err := c.prepare(ctx, g, s)
	if err != nil {
		return err
	}
	filesDir, err := c.filesDir(g)
	if err != nil {
		return err
	}
	ln, url, unannounce, err := c.listen(g)
	if err != nil {
		return err
	}
	defer unannounce()
	providers, err := c.providers(s, g.Log())
	if err != nil {
		return err
	}
	publicURL := g.PublicURL
	if publicURL == "" {
		publicURL = url
	}
	machines, webhooks, err := c.tracking()
	if err != nil {
		return err
	}
	mets := metrics.New(metrics.Config{Store: s, Log: g.Log()})
	destinations := outboundSet(s, c.destinations, c.Lease, g.Log())
	svc := service.New(service.Config{Store: s, Log: g.Log(), Workers: c.Workers, Lease: c.Lease, FilesDir: filesDir, RenderBudget: g.RenderBudget(), Limits: g.ReadLimits(),
		Keys: ring, Providers: providers, ProviderRate: c.providerRates(), PublicURL: publicURL, SessionIdle: c.SessionIdle, SessionMaxAge: c.SessionMaxAge,
		TrackMachines: machines, TrackKeepClient: c.TrackKeepClient, SoftBounces: c.softBounces(), EventRetention: c.EventRetention, VERP: verp, Observer: mets,
		Outbound: destinations})
	mets.Resting(restingChannels(s, svc.Dispatcher(), g.Log()))
	// Last before the store closes: the imports running in the background
	// end interrupted, and record it.
	defer svc.Close()
	stopBounces, err := c.startBounces(svc, verp, g.Log())
	if err != nil {
		return err
	}
	defer stopBounces()
	sup, stopWork := startWork(g, s, svc)
	defer func() {
		stopWork()
		for _, p := range providers {
			p.Close()
		}
	}()
	defer startOutbound(destinations, c.OutboundPoll, g.Log())()

	handler := api.New(api.Config{Service: svc, Log: g.Log(), Version: cli.Version,
		SMSAuthToken: c.smsAuthToken(), SMSStatusCallback: c.smsStatusCallback(), PublicURL: publicURL, Outages: svc.Dispatcher().Outages, Problems: sup.problems,
		Transfer: c.transfer(), MaxUpload: int64(c.MaxUpload), TrustForwarded: c.TrustForwarded, Webhooks: webhooks,
		Metrics: mets.Handler(), Requests: mets})
	stopMetrics, err := c.serveMetrics(mets, g.Log())
	if err != nil {
		return err
	}
	defer stopMetrics()
	defer beat(svc.JoinNodes(url, cli.Version), handler.Health, g.Log())()
	g.Log().Info("fanfare serving", "url", url, "console", url+"/", "api", url+"/api/openapi.json")
	err = api.Serve(ctx, c.server(handler), ln, g.Log())
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// prepare readies the store for serving: the demo loaded (with --demo),
// the first API token made, the keyring with the legacy secret in it; and
// reads the bounce address's VERP under it.
func (c *ServeCmd) prepare(ctx context.Context, g *cli.Globals, s *store.Store) (*keyring.Ring, *delivery.VERP, error) {
	if c.Demo {
		if err := loadDemoIfEmpty(ctx, g, s, c.Customers); err != nil {
			return nil, nil, err
		}
	}
	if err := bootstrapToken(ctx, g, s); err != nil {
		return nil, nil, err
	}
	ring := keyring.New(s)
	if err := importLegacySecret(ctx, g, ring); err != nil {
		return nil, nil, err
	}
	verp, err := c.verp(ring)
	return ring, verp, err
}

// listen listens on --addr and announces the server's URL in the data
// directory (unannounce removes it).
func (c *ServeCmd) listen(g *cli.Globals) (ln net.Listener, url string, unannounce func(), err error) {
	ln, err = net.Listen("tcp", c.Addr)
	if err != nil {
		return nil, "", nil, fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	url = "http://" + dialable(ln.Addr())
	unannounce, err = announce(g, url)
	if err != nil {
		ln.Close()
		return nil, "", nil, err
	}
	return ln, url, unannounce, nil
}

// beat reports this node and its health to the store's table of nodes
// every service.NodeBeat, so that every node's Home shows them all; the
// returned function stops and removes the node (a clean stop).
func beat(node *service.Beating, health func(context.Context) api.Health, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(service.NodeBeat)
		defer t.Stop()
		for {
			h := health(ctx)
			if err := node.Beat(ctx, h.Status, h); err != nil && ctx.Err() == nil {
				log.Warn("report this node to the store", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
		leave, end := context.WithTimeout(context.Background(), 5*time.Second)
		defer end()
		if err := node.Leave(leave); err != nil {
			log.Warn("remove this node from the store", "err", err)
		}
	}
}

// startWork starts the server's parts: the engine and the dispatcher,
// each supervised (retried while it fails, its problem shown in health),
// and the housekeeping. stopWork stops them and waits for them to end.
func startWork(g *cli.Globals, s *store.Store, svc *service.Local) (sup *supervisor, stopWork func()) {
	eng, disp := svc.Engine(), svc.Dispatcher()
	workCtx, cancel := context.WithCancel(context.Background())
	sup = newSupervisor(g.Log())
	var work sync.WaitGroup
	work.Go(func() { sup.run(workCtx, part{name: "engine", recover: eng.Recover, run: eng.Run}) })
	work.Go(func() { housekeeping(workCtx, s, svc, g.Log()) })
	work.Go(func() { foldEvents(workCtx, s, g.Log()) })
	work.Go(func() {
		sup.run(workCtx, part{name: "dispatcher",
			recover: func(ctx context.Context) error { _, _, err := disp.Recover(ctx); return err },
			run:     func(ctx context.Context) error { return disp.Run(ctx, 200*time.Millisecond) }})
	})
	return sup, func() { cancel(); work.Wait() }
}

// lockDataDir holds the embedded store's data directory for this server
// as long as it lives (see lockServer), refusing a second server on it;
// with PostgreSQL there is nothing to hold. unlock lets it go.
func lockDataDir(g *cli.Globals) (unlock func(), err error) {
	if g.DatabaseURL != "" {
		return func() {}, nil
	}
	lock, err := lockServer(g.DataDirectory())
	if errors.Is(err, errServing) {
		if sf, ferr := readServerFile(g.DataDirectory()); ferr == nil {
			return nil, fmt.Errorf("a fanfare server (pid %d) already serves %s at %s", sf.PID, g.DataDirectory(), sf.URL)
		}
		return nil, fmt.Errorf("a fanfare server already serves %s", g.DataDirectory())
	}
	if err != nil {
		return nil, err
	}
	return func() { lock.Close() }, nil
}

// announce writes the server file, which tells the local CLI where this
// server is; with PostgreSQL and no data directory there is none to
// write. unannounce removes it.
func announce(g *cli.Globals, url string) (unannounce func(), err error) {
	dir := g.DataDirectory()
	if dir == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	if err := writeServerFile(dir, serverFile{URL: url, PID: os.Getpid()}); err != nil {
		return nil, fmt.Errorf("write server file: %w", err)
	}
	return func() { os.Remove(serverFilePath(dir)) }, nil
}

// filesDir returns the directory load_file reads, made (private) when it
// is the default one inside the data directory.
func (c *ServeCmd) filesDir(g *cli.Globals) (string, error) {
	dir := g.FilesDirectory()
	if dir == "" {
		g.Log().Info("no files directory: load_file is refused (set --files-dir)")
		return "", nil
	}
	if g.FilesDir == "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("create the files directory: %w", err)
		}
	}
	g.Log().Info("load_file reads files from", "dir", dir)
	return dir, nil
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

func loadDemoIfEmpty(ctx context.Context, g *cli.Globals, s *store.Store, customers int) error {
	svc := service.New(service.Config{Store: s, Log: g.Log()})
	_, err := svc.Model(ctx, 0)
	if err == nil {
		g.Log().Info("store already has a data model; demo not loaded")
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return cli.RunDemo(ctx, g, &local{Local: svc}, cli.DemoCmd{Customers: customers, Seed: 1})
}

// foldEvents folds the events recorded into the reports' tallies every
// second (store.Events.Roll; a report folds what is left before it
// reads), on every node: one fold runs at a time.
func foldEvents(ctx context.Context, s *store.Store, log *slog.Logger) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := s.Events().Roll(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Error("fold the events into the reports' tallies", "err", err)
		}
	}
}

// housekeeping starts scheduled runs when they come due and drops the
// working tables of runs past their retention. On a shared store
// (PostgreSQL) it also marks the imports of nodes that died interrupted, as
// a node starting does: the others may run for weeks.
func housekeeping(ctx context.Context, s *store.Store, svc *service.Local, log *slog.Logger) {
	eng := svc.Engine()
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
			if n, err := svc.ForgetEvents(ctx, time.Now()); err != nil && ctx.Err() == nil {
				log.Error("forget old events", "err", err)
			} else if n > 0 {
				log.Info("events past their retention removed", "events", n)
			}
			if s.Describe().Shared {
				if n, err := service.MarkInterrupted(ctx, s); err != nil && ctx.Err() == nil {
					log.Error("mark interrupted imports", "err", err)
				} else if n > 0 {
					log.Warn("imports whose process ended before them marked interrupted", "imports", n)
				}
			}
		}
	}
}

package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ServeCmd runs the HTTP API.
type ServeCmd struct {
	Addr      string `default:":8080" env:"FANFARE_ADDR" help:"Address to listen on."`
	Demo      bool   `help:"Load the retail demo (model and data) when the store has no model yet."`
	Customers int    `default:"10000" help:"Customers to generate with --demo."`
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

	handler := api.New(api.Config{Store: s, Log: g.log, Token: token, Version: Version})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
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
	return runDemo(ctx, g, &local{s: s}, DemoCmd{Customers: customers, Seed: 1})
}

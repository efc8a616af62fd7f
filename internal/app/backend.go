package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/cli"
	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// openBackend is the commands' cli.Opener: it finds the running server
// for this data directory (or the one named by --server) and otherwise
// opens the store directly, creating an embedded one only with create.
func openBackend(ctx context.Context, g *cli.Globals, create bool) (cli.Backend, error) {
	if g.Server != "" {
		return remote{client.New(g.Server, apiToken(g))}, nil
	}
	if g.DatabaseURL == "" {
		if sf, err := readServerFile(g.DataDirectory()); err == nil {
			c := client.New(sf.URL, apiToken(g))
			// A degraded server (a provider failing) serves commands too.
			if h, err := c.Health(ctx); err == nil && h.Status != "unavailable" {
				g.Log().Debug("working through the running server", "url", sf.URL)
				return remote{c}, nil
			}
		}
	}
	s, err := openStore(ctx, g, create)
	if err != nil {
		return nil, err
	}
	// The engine's per-activity logs would drown a command's output.
	quiet := cli.NewLogger(g.Stderr(), "warn", g.LogFormat)
	return localBackend(g, s, quiet)
}

// localBackend is the use-case layer on an open store, sending (when a
// command sends) through the providers a local start uses: the sandbox.
func localBackend(g *cli.Globals, s *store.Store, log *slog.Logger) (*local, error) {
	var flags deliveryFlags
	providers, err := flags.providers(s, log)
	if err != nil {
		return nil, err
	}
	svc := service.New(service.Config{Store: s, Log: log, FilesDir: g.FilesDirectory(), RenderBudget: g.RenderBudget(), Limits: g.ReadLimits(), Providers: providers, PublicURL: g.PublicURL})
	return &local{Local: svc, providers: providers}, nil
}

// errNoStore says where a command looked for a store that is not there.
func errNoStore(g *cli.Globals) error {
	dir, err := filepath.Abs(g.DataDirectory())
	if err != nil {
		dir = g.DataDirectory()
	}
	return fmt.Errorf("no fanfare store in %s (no %s there, and no server.json of a running server); create one with fanfare model apply MODEL or fanfare demo, or name yours with --data-dir, --database-url or --server", dir, store.DuckDBFile)
}

// openStore opens the configured store; with create false, an embedded
// store that does not exist yet is an error rather than a new empty one
// (which would answer every question with "not found").
func openStore(ctx context.Context, g *cli.Globals, create bool) (*store.Store, error) {
	if !create && g.DatabaseURL == "" {
		if _, err := os.Stat(filepath.Join(g.DataDirectory(), store.DuckDBFile)); errors.Is(err, fs.ErrNotExist) {
			return nil, errNoStore(g)
		}
	}
	s, err := store.Open(ctx, store.Config{DataDir: g.DataDirectory(), DatabaseURL: g.DatabaseURL, LockWait: 15 * time.Second, MemoryLimit: g.MemoryLimit})
	if errors.Is(err, store.ErrLocked) {
		msg := fmt.Sprintf("the data directory %s is being used by another fanfare process", g.DataDirectory())
		if sf, ferr := readServerFile(g.DataDirectory()); ferr == nil {
			msg += fmt.Sprintf(" (a server at %s, pid %d, that does not answer)", sf.URL, sf.PID)
		}
		return nil, errors.New(msg + "; wait for it to finish, or stop it")
	}
	if err != nil {
		return nil, err
	}
	if n, err := service.MarkInterrupted(ctx, s); err != nil {
		g.Log().Error("mark interrupted imports", "err", err)
	} else if n > 0 {
		g.Log().Warn("imports whose process ended before them marked interrupted", "imports", n)
	}
	return s, nil
}

// apiToken returns the configured token, else the data directory's.
func apiToken(g *cli.Globals) string {
	if tok := g.ConfiguredToken(); tok != "" {
		return tok
	}
	if dir := g.DataDirectory(); dir != "" {
		if b, err := os.ReadFile(tokenPath(dir)); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}

// remote is a running server's API.
type remote struct{ *client.Client }

func (r remote) Where() string { return "server " + r.Base() }
func (r remote) Close() error  { return nil }

// Work waits for the server to take the run to its end (the store
// backend's, service.Local.Work, runs it in this process).
func (r remote) Work(ctx context.Context, id int64) (*engine.RunStatus, error) {
	return service.WaitRun(ctx, r.RunStatus, id)
}

// Send does nothing: the server's dispatchers send the run's messages.
func (r remote) Send(context.Context, int64) error { return nil }

// local is the use-case layer on the store, in this process.
type local struct {
	*service.Local
	providers map[string]channel.Provider
}

func (l *local) Where() string {
	d := l.Store().Describe()
	return d.Kind + " store " + d.Location
}

// Close closes the providers and the store.
func (l *local) Close() error {
	for _, p := range l.providers {
		_ = p.Close()
	}
	return l.Store().Close()
}

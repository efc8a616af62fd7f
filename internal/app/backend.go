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
	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Backend is what subcommands work through: the use-case layer on the
// store itself, or a running server's API. Both answer with the same
// types and errors.
type Backend interface {
	service.Service
	// Work drives a run until it is no longer running: the store backend
	// runs its activities in this process, the server backend waits.
	Work(ctx context.Context, id int64) (*engine.RunStatus, error)
	// Where says what the backend is, for messages.
	Where() string
	Close() error
}

// backend finds the running server for this data directory (or the one
// named by --server) and otherwise opens the store directly; it creates no
// store (see creatingBackend).
func (g *Globals) backend(ctx context.Context) (Backend, error) { return g.openBackend(ctx, false) }

// creatingBackend is backend for the commands meant to create a store
// (model apply, import, demo): an embedded one is created where none is.
func (g *Globals) creatingBackend(ctx context.Context) (Backend, error) {
	return g.openBackend(ctx, true)
}

func (g *Globals) openBackend(ctx context.Context, create bool) (Backend, error) {
	if g.Server != "" {
		return remote{client.New(g.Server, g.apiToken())}, nil
	}
	if g.DatabaseURL == "" {
		if sf, err := readServerFile(g.dataDir()); err == nil {
			c := client.New(sf.URL, g.apiToken())
			// A degraded server (a provider failing) serves commands too.
			if h, err := c.Health(ctx); err == nil && h.Status != "unavailable" {
				g.log.Debug("working through the running server", "url", sf.URL)
				return remote{c}, nil
			}
		}
	}
	s, err := g.openStore(ctx, create)
	if err != nil {
		return nil, err
	}
	// The engine's per-activity logs would drown a command's output.
	quiet := newLogger(g.stderr, "warn", g.LogFormat)
	return g.localBackend(s, quiet)
}

// localBackend is the use-case layer on an open store, sending (when a
// command sends) through the providers a local start uses: the sandbox.
func (g *Globals) localBackend(s *store.Store, log *slog.Logger) (*local, error) {
	var flags deliveryFlags
	providers, err := flags.providers(s, log)
	if err != nil {
		return nil, err
	}
	svc := service.New(service.Config{Store: s, Log: log, FilesDir: g.filesDir(), RenderBudget: g.renderBudget(), Limits: g.limits(), Providers: providers, PublicURL: g.PublicURL})
	return &local{Local: svc, providers: providers}, nil
}

// errNoStore says where a command looked for a store that is not there.
func (g *Globals) errNoStore() error {
	dir, err := filepath.Abs(g.dataDir())
	if err != nil {
		dir = g.dataDir()
	}
	return fmt.Errorf("no fanfare store in %s (no %s there, and no server.json of a running server); create one with fanfare model apply MODEL or fanfare demo, or name yours with --data-dir, --database-url or --server", dir, store.DuckDBFile)
}

// openStore opens the configured store; with create false, an embedded
// store that does not exist yet is an error rather than a new empty one
// (which would answer every question with "not found").
func (g *Globals) openStore(ctx context.Context, create bool) (*store.Store, error) {
	if !create && g.DatabaseURL == "" {
		if _, err := os.Stat(filepath.Join(g.dataDir(), store.DuckDBFile)); errors.Is(err, fs.ErrNotExist) {
			return nil, g.errNoStore()
		}
	}
	s, err := store.Open(ctx, store.Config{DataDir: g.dataDir(), DatabaseURL: g.DatabaseURL, LockWait: 15 * time.Second, MemoryLimit: g.MemoryLimit})
	if errors.Is(err, store.ErrLocked) {
		msg := fmt.Sprintf("the data directory %s is being used by another fanfare process", g.dataDir())
		if sf, ferr := readServerFile(g.dataDir()); ferr == nil {
			msg += fmt.Sprintf(" (a server at %s, pid %d, that does not answer)", sf.URL, sf.PID)
		}
		return nil, errors.New(msg + "; wait for it to finish, or stop it")
	}
	if err != nil {
		return nil, err
	}
	if n, err := ingest.MarkInterrupted(ctx, s); err != nil {
		g.log.Error("mark interrupted imports", "err", err)
	} else if n > 0 {
		g.log.Warn("imports whose process ended before them marked interrupted", "imports", n)
	}
	return s, nil
}

// apiToken returns the configured token, else the data directory's.
func (g *Globals) apiToken() string {
	if tok := g.configuredToken(); tok != "" {
		return tok
	}
	if dir := g.dataDir(); dir != "" {
		if b, err := os.ReadFile(tokenPath(dir)); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}

type remote struct{ *client.Client }

func (r remote) Where() string { return "server " + r.Base() }
func (r remote) Close() error  { return nil }

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

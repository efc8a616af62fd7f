package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Backend is what subcommands work through: the store itself, or a running
// server's API. Both answer with the same types and errors.
type Backend interface {
	ApplyModel(ctx context.Context, doc []byte, opts schema.ApplyOptions) (*schema.ApplyResult, error)
	Model(ctx context.Context, version int64) (*api.ModelResponse, error)
	ModelHistory(ctx context.Context) ([]schema.VersionInfo, error)
	Import(ctx context.Context, entity, name string, r io.Reader, opts ingest.Options) (*ingest.Summary, error)
	Rejects(ctx context.Context, id int64, fn func(ingest.Reject) error) error
	AudienceCount(ctx context.Context, req api.AudienceRequest) (*audience.CountResult, error)
	AudienceValidate(ctx context.Context, req api.AudienceRequest) (*api.ValidateQueryResponse, error)
	AudienceSave(ctx context.Context, req api.AudienceRequest) (*audience.Audience, error)
	Audiences(ctx context.Context) ([]audience.Audience, error)
	Audience(ctx context.Context, name string) (*audience.Audience, error)
	AudienceRefresh(ctx context.Context, name string) (*audience.Audience, error)
	AudienceAppend(ctx context.Context, name string, req api.AudienceRequest) (*audience.Audience, error)
	AudienceDelete(ctx context.Context, name string) error
	AudienceExport(ctx context.Context, name string, version int64, attrs []string, format string, w io.Writer) error
	CampaignSave(ctx context.Context, doc []byte) (*engine.Campaign, error)
	CampaignValidate(ctx context.Context, doc []byte) (*engine.Validation, error)
	CampaignPublish(ctx context.Context, name string) (*engine.Campaign, error)
	CampaignDuplicate(ctx context.Context, name, newName string) (*engine.Campaign, error)
	Campaigns(ctx context.Context) ([]engine.Campaign, error)
	CampaignSchedule(ctx context.Context, name string, n int) ([]time.Time, error)
	RunStart(ctx context.Context, name string, opts engine.RunOptions) (*engine.Run, error)
	Runs(ctx context.Context, name string) ([]engine.Run, error)
	RunStatus(ctx context.Context, id int64) (*engine.RunStatus, error)
	RunAction(ctx context.Context, id int64, action string) (*engine.RunStatus, error)
	RunRetry(ctx context.Context, id int64, activity string) (*engine.RunStatus, error)
	// RunResolve resends or drops a run's in-doubt messages, recording who
	// decided: the API token's name through a server, the OS user locally.
	RunResolve(ctx context.Context, id int64, req engine.ResolveRequest) (*engine.Resolution, error)
	RunPreview(ctx context.Context, id int64, activity, port string, limit int) ([]string, [][]any, error)
	RunFigures(ctx context.Context, id int64) ([]delivery.Figures, error)
	// PreviewMessage renders a campaign's channel activity for one profile.
	PreviewMessage(ctx context.Context, name, activity string, key []any) (*channel.Message, error)
	// SendProof renders it and sends it to test addresses.
	SendProof(ctx context.Context, name, activity string, key []any, to []string) (*channel.Message, []channel.Result, error)
	RunConfirm(ctx context.Context, id int64) (int64, error)
	Messages(ctx context.Context, run int64, limit int) ([]delivery.SandboxMessage, error)
	ImportConsent(ctx context.Context, dimension, source string, r io.Reader) (*delivery.ConsentImport, error)
	Consent(ctx context.Context, dimension string, key []any) (*delivery.ProfileConsent, error)
	SetConsent(ctx context.Context, dimension string, key []any, ch, status, source string) error
	Suppressions(ctx context.Context, ch, address string, exact bool, limit int) ([]delivery.Suppression, error)
	Suppress(ctx context.Context, ch, address, reason string) error
	Unsuppress(ctx context.Context, ch, address string) error
	Message(ctx context.Context, id string) (*delivery.SandboxMessage, error)
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
	return &local{s: s, eng: engine.New(engine.Config{Store: s, Log: quiet, FilesDir: g.filesDir(), RenderBudget: g.renderBudget(), FileLimits: g.limits()}), log: quiet, limits: g.limits(), publicURL: g.PublicURL}, nil
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

type local struct {
	s      *store.Store
	eng    *engine.Engine
	log    *slog.Logger
	limits ingest.Limits // bound what reading a file may cost
	// publicURL is where recipients reach the fanfare server (unsubscribe
	// links); empty when none is configured.
	publicURL string
}

func (l *local) Where() string { return l.s.Dialect.Name() + " store " + l.s.Location }
func (l *local) Close() error  { return l.s.Close() }

func (l *local) ApplyModel(ctx context.Context, doc []byte, opts schema.ApplyOptions) (*schema.ApplyResult, error) {
	return schema.Apply(ctx, l.s, doc, opts)
}

func (l *local) Model(ctx context.Context, version int64) (*api.ModelResponse, error) {
	if version > 0 {
		doc, m, err := schema.Version(ctx, l.s, version)
		if err != nil {
			return nil, err
		}
		return &api.ModelResponse{Version: version, Document: doc, Model: m}, nil
	}
	m, v, err := schema.Current(ctx, l.s)
	if err != nil {
		return nil, err
	}
	return &api.ModelResponse{Version: v, Document: string(datamodel.Document(m)), Model: m}, nil
}

func (l *local) ModelHistory(ctx context.Context) ([]schema.VersionInfo, error) {
	return schema.History(ctx, l.s)
}

func (l *local) Import(ctx context.Context, entity, name string, r io.Reader, opts ingest.Options) (*ingest.Summary, error) {
	m, _, err := schema.Current(ctx, l.s)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errors.New("no data model yet: apply one first (fanfare model apply model.yaml)")
	}
	if err != nil {
		return nil, err
	}
	opts.Limits = l.limits
	body, format, err := ingest.OpenStream(r, name, opts.Format, opts.Limits)
	if err != nil {
		return nil, &ingest.InputError{Err: err}
	}
	opts.Format = format
	return ingest.Import(ctx, l.s, m, entity, name, body, opts)
}

func (l *local) Rejects(ctx context.Context, id int64, fn func(ingest.Reject) error) error {
	return ingest.Rejects(ctx, l.s, id, fn)
}

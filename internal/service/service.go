package service

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/message"
	"github.com/fanfare-dev/fanfare/internal/outbound"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Service is every operation of Fanfare, as the CLI and the API offer
// it: Local runs them on a store, the API client through a server. Both
// answer with the same types and errors.
type Service interface {
	ApplyModel(ctx context.Context, doc []byte, opts schema.ApplyOptions) (*schema.ApplyResult, error)
	ValidateModel(ctx context.Context, doc []byte) (*ValidateModelResponse, error)
	// Model returns a version of the model (0: the current one).
	Model(ctx context.Context, version int64) (*ModelResponse, error)
	ModelHistory(ctx context.Context) ([]schema.VersionInfo, error)
	// Entities counts the rows of every entity of the current model.
	Entities(ctx context.Context) (*EntitiesResponse, error)

	// Import loads a file (plain or gzip) into an entity; the summary
	// comes with some errors too (too many rejects, nothing loaded).
	Import(ctx context.Context, entity, name string, r io.Reader, opts ingest.Options) (*ingest.Summary, error)
	// ImportStart receives a whole file and imports it in the background
	// (the API's upload): the answer is the running import, which
	// ImportStatus follows to its end.
	ImportStart(ctx context.Context, entity, name string, r io.Reader, opts ingest.Options) (*ingest.Job, error)
	// ImportStatus returns an import's state, progress and summary.
	ImportStatus(ctx context.Context, id int64) (*ingest.Job, error)
	// Imports lists the latest imports, newest first (limit 0: 50).
	Imports(ctx context.Context, limit int) ([]ingest.Job, error)
	Rejects(ctx context.Context, id int64, fn func(ingest.Reject) error) error

	AudienceCount(ctx context.Context, req AudienceRequest) (*audience.CountResult, error)
	AudienceValidate(ctx context.Context, req AudienceRequest) (*ValidateQueryResponse, error)
	AudienceSave(ctx context.Context, req AudienceRequest) (*audience.Audience, error)
	Audiences(ctx context.Context) ([]audience.Audience, error)
	Audience(ctx context.Context, name string) (*audience.Audience, error)
	AudienceVersions(ctx context.Context, name string) ([]audience.Version, error)
	AudienceRefresh(ctx context.Context, name string) (*audience.Audience, error)
	AudienceAppend(ctx context.Context, name string, req AudienceRequest) (*audience.Audience, error)
	AudienceDelete(ctx context.Context, name string) error
	AudienceDeleteVersion(ctx context.Context, name string, version int64) error
	// AudienceExport writes a saved audience's members to w as CSV or
	// NDJSON (format; "" is CSV).
	AudienceExport(ctx context.Context, name string, version int64, attrs []string, format string, w io.Writer) error
	// AudiencePublish publishes a saved audience to an outbound
	// destination now and after each of its new versions;
	// AudienceUnpublish stops it (docs/outbound.md).
	AudiencePublish(ctx context.Context, name string, req PublishRequest) (*audience.Audience, error)
	AudienceUnpublish(ctx context.Context, name string) error

	// OutboundDestinations lists the configured destinations with their
	// cursor, lag and lease holder; DeadLetters the batches they
	// refused, DeadLetter one with its body, DeadLetterRedeliver posts
	// one again. Without destinations they answer
	// outbound.ErrNotConfigured.
	OutboundDestinations(ctx context.Context) ([]outbound.Status, error)
	DeadLetters(ctx context.Context, f outbound.Filter) ([]outbound.DeadLetter, error)
	DeadLetter(ctx context.Context, id int64) (*outbound.DeadLetter, error)
	DeadLetterRedeliver(ctx context.Context, id int64) (*outbound.DeadLetter, error)

	CampaignSave(ctx context.Context, doc []byte) (*engine.Campaign, error)
	CampaignValidate(ctx context.Context, doc []byte) (*engine.Validation, error)
	Campaign(ctx context.Context, name string) (*engine.Campaign, error)
	CampaignPublish(ctx context.Context, name string) (*engine.Campaign, error)
	CampaignDuplicate(ctx context.Context, name, newName string) (*engine.Campaign, error)
	// CampaignArchive puts a campaign away (engine.Archive), and
	// CampaignUnarchive brings it back; CampaignDelete removes one that
	// never ran (engine.ErrHasRuns otherwise).
	CampaignArchive(ctx context.Context, name string) (*engine.Campaign, error)
	CampaignUnarchive(ctx context.Context, name string) (*engine.Campaign, error)
	CampaignDelete(ctx context.Context, name string) error
	// CampaignDraft returns a campaign's working draft (its latest version
	// as revision 0 when none is stored); CampaignDraftPut stores one,
	// parsing or not (engine.ErrStaleDraft when someone saved since the
	// request's revision); CampaignDraftSave makes a version of it;
	// CampaignDraftDiscard drops it.
	CampaignDraft(ctx context.Context, name string) (*engine.Draft, error)
	CampaignDraftPut(ctx context.Context, name string, req DraftRequest) (*engine.Draft, error)
	CampaignDraftSave(ctx context.Context, name string, revision int64) (*engine.Campaign, error)
	CampaignDraftDiscard(ctx context.Context, name string) error
	// CampaignVersions lists a campaign's versions (newest first);
	// CampaignVersion returns one with its document.
	CampaignVersions(ctx context.Context, name string) ([]engine.CampaignVersion, error)
	CampaignVersion(ctx context.Context, name string, version int64) (*engine.CampaignVersion, error)
	// CronNext lists the next occurrences of a cron expression.
	CronNext(ctx context.Context, expr, timezone string, n int) ([]time.Time, error)
	Campaigns(ctx context.Context) ([]engine.Campaign, error)
	CampaignSchedule(ctx context.Context, name string, n int) ([]time.Time, error)
	// ActivityTypes lists the activity types with their ports and the
	// JSON Schema of their settings; CampaignSchedule the JSON Schema of
	// the whole document.
	ActivityTypes(ctx context.Context) ([]ActivityType, error)
	// Nodes lists the servers sharing the store with their health.
	Nodes(ctx context.Context) ([]Node, error)
	// RunWatch calls fn with a run as it stands and each time it changes,
	// until its final update (see RunUpdate).
	RunWatch(ctx context.Context, id int64, fn func(RunUpdate) error) error
	CampaignSchema(ctx context.Context) (json.RawMessage, error)
	// PreviewMessage renders a campaign's channel activity for one profile.
	// The request's document, when set, is rendered instead of the latest
	// version (the draft being edited).
	PreviewMessage(ctx context.Context, name, activity string, req PreviewRequest) (*channel.Message, error)
	// SendProof renders it and sends it to test addresses.
	SendProof(ctx context.Context, name, activity string, req ProofRequest) (*channel.Message, []channel.Result, error)

	// RunStart starts a run (its trigger defaults to the caller's kind).
	RunStart(ctx context.Context, name string, opts engine.RunOptions) (*engine.Run, error)
	// Runs lists a campaign's runs, newest first (limit 0: 50).
	Runs(ctx context.Context, name string, limit int) ([]engine.Run, error)
	// RecentRuns lists the runs of every campaign, newest first (limit 0:
	// 50).
	RecentRuns(ctx context.Context, limit int) ([]engine.Run, error)
	RunStatus(ctx context.Context, id int64) (*engine.RunStatus, error)
	// RunLog reads a run's log: what happened to it and each of its
	// activities, in order.
	RunLog(ctx context.Context, id int64, req RunLogRequest) ([]engine.LogEntry, error)
	// RunAction pauses, resumes or stops a run ("pause", "resume", "stop").
	RunAction(ctx context.Context, id int64, action string) (*engine.RunStatus, error)
	RunRetry(ctx context.Context, id int64, activity string) (*engine.RunStatus, error)
	// RunResolve resends or drops a run's in-doubt messages, recording
	// the caller (the context's actor) as who decided.
	RunResolve(ctx context.Context, id int64, req engine.ResolveRequest) (*engine.Resolution, error)
	RunPreview(ctx context.Context, id int64, activity, port string, limit int) ([]string, [][]any, error)
	// RunBreakdown counts all the rows of a transition by the values of
	// one of their columns (the top most frequent).
	RunBreakdown(ctx context.Context, id int64, activity, port, column string, top int) (*engine.Breakdown, error)
	RunFigures(ctx context.Context, id int64) ([]delivery.Figures, error)
	// RunReport reports on a run: figures, events by hour or day, domains,
	// A/B comparisons and control groups' uplifts.
	RunReport(ctx context.Context, id int64, req RunReportRequest) (*delivery.Report, error)
	// CampaignReport reports on a campaign's live runs started within a
	// span: their figures summed, by run, channel activity and channel.
	CampaignReport(ctx context.Context, name string, req CampaignReportRequest) (*delivery.CampaignReport, error)
	// RunSaveOutput saves the rows a run's transition carried as an audience.
	RunSaveOutput(ctx context.Context, id int64, req SaveOutputRequest) (*audience.Audience, error)
	RunConfirm(ctx context.Context, id int64) (int64, error)

	// Messages lists what the sandbox captured, of one run or all (run
	// 0), newest first (limit 0: 100).
	Messages(ctx context.Context, run int64, limit int) ([]delivery.SandboxMessage, error)
	Message(ctx context.Context, id string) (*delivery.SandboxMessage, error)
	// MessageHTML returns the HTML part of an email the sandbox kept.
	MessageHTML(ctx context.Context, id string) (string, error)

	ImportConsent(ctx context.Context, dimension, source string, r io.Reader) (*delivery.ConsentImport, error)
	Consent(ctx context.Context, dimension string, key []any) (*delivery.ProfileConsent, error)
	// ProfileErase removes every trace of a profile's messages.
	ProfileErase(ctx context.Context, dimension string, key []any) (*delivery.Erasure, error)
	// SetConsent records a profile's consent (source defaults to the
	// caller's kind: "api" or "cli").
	SetConsent(ctx context.Context, dimension string, key []any, ch, status, source string) (*ConsentSet, error)
	Suppressions(ctx context.Context, ch, address string, exact bool, limit int) ([]delivery.Suppression, error)
	Suppress(ctx context.Context, ch, address, reason string) error
	Unsuppress(ctx context.Context, ch, address string) error

	Tokens(ctx context.Context) ([]keyring.Token, error)
	// CreateToken makes an API token; the answer is the only place it shows.
	CreateToken(ctx context.Context, name string) (string, error)
	RevokeToken(ctx context.Context, name string) error
	Keys(ctx context.Context) (*KeyList, error)
	RotateKey(ctx context.Context) (*KeyList, error)
	RetireKey(ctx context.Context, id string) (*KeyList, error)
}

// Config is what a Local is built from; only Store is required.
type Config struct {
	Store *store.Store
	Log   *slog.Logger
	// Workers, Lease, FilesDir and RenderBudget configure the engine (see
	// engine.Config); Lease the dispatcher's claims too.
	Workers      int
	Lease        time.Duration
	FilesDir     string
	RenderBudget message.Budget
	// Limits bound what reading a file (an import, load_file, a consent
	// file) may cost; zero means the defaults.
	Limits ingest.Limits
	// Keys is the keyring of links (the store's by default).
	Keys *keyring.Ring
	// Links checks and issues unsubscribe links (from Keys by default).
	Links *delivery.Links
	// Providers send messages and proofs; nil builds no dispatcher and
	// refuses proofs.
	Providers    map[string]channel.Provider
	ProviderRate map[string]float64
	// PublicURL is where recipients reach the server (unsubscribe links);
	// empty points them at NoPublicURL, with a warning at the first link.
	PublicURL string
	// Sessions are the console's (signed with Keys, for SessionIdle and
	// SessionMaxAge — keyring's defaults if zero — by default).
	Sessions                   *keyring.Sessions
	SessionIdle, SessionMaxAge time.Duration
	// TrackMachines tells machines' opens and clicks from people's (the
	// shipped list by default); TrackKeepClient keeps each identified
	// event's IP address and user agent.
	TrackMachines   *delivery.Machines
	TrackKeepClient bool
	// SoftBounces is when soft bounces suppress an address (the default
	// policy when zero).
	SoftBounces delivery.SoftBouncePolicy
	// EventRetention is how long tracking events are kept (0: for ever).
	EventRetention time.Duration
	// VERP, when set, sends each email from its own VERP address, which
	// its bounces come back to.
	VERP *delivery.VERP
	// Observer is told what the engine, its jobs, the dispatcher and the
	// recorder of events do (internal/metrics counts it); nil for no one.
	Observer Observer
	// Outbound is the configured destinations (docs/outbound.md): their
	// dead letters, and where saved audiences are published; nil for
	// none (the operations answer outbound.ErrNotConfigured).
	Outbound *outbound.Set
}

// Observer is told of the activities and jobs the engine runs, the
// messages the dispatcher settles and the events the recorder writes:
// the hooks internal/metrics implements, so that none of those packages
// knows of Prometheus.
type Observer interface {
	engine.Observer
	delivery.Observer
}

// NoPublicURL is where unsubscribe links point when no public URL is
// configured: a reserved name (RFC 6761) that never resolves, rather than
// an address some other server may answer.
const NoPublicURL = "https://unsubscribe.invalid"

// Local runs the operations in this process, on a store: the engine, the
// dispatcher and the keyring it needs are built once, here, for the
// server, the CLI without one and the tests alike.
type Local struct {
	store     *store.Store
	log       *slog.Logger
	eng       *engine.Engine
	keys      *keyring.Ring
	tokens    *keyring.Tokens
	sessions  *keyring.Sessions
	links     *delivery.Links
	providers map[string]channel.Provider
	disp      *delivery.Dispatcher
	recorder  *delivery.Recorder
	// softBounces is when soft bounces suppress an address.
	softBounces    delivery.SoftBouncePolicy
	eventRetention time.Duration
	limits         ingest.Limits
	jobs           *jobs
	outbound       *outbound.Set
	pub            *publisher
	watches        watches
	// importReader, when set, wraps the file a background import reads
	// (tests slow it down).
	importReader func(ctx context.Context, r io.Reader) io.Reader
}

var _ Service = (*Local)(nil)

// New builds the use-case layer over a store: its engine, keyring, links
// and (with providers) dispatcher.
func New(cfg Config) *Local {
	l := &Local{store: cfg.Store, log: cmp.Or(cfg.Log, slog.Default()), keys: cfg.Keys, links: cfg.Links, providers: cfg.Providers, limits: cfg.Limits, jobs: newJobs(), outbound: cfg.Outbound}
	l.pub = newPublisher(l.publishNow)
	l.eng = engine.New(engine.Config{Store: cfg.Store, Log: l.log, Workers: cfg.Workers, Lease: cfg.Lease, FilesDir: cfg.FilesDir, RenderBudget: cfg.RenderBudget, FileLimits: cfg.Limits, Observer: cfg.Observer,
		AudienceSaved: l.pub.audienceSaved})
	if l.keys == nil {
		l.keys = keyring.New(cfg.Store)
	}
	l.tokens = keyring.NewTokens(cfg.Store)
	if l.sessions = cfg.Sessions; l.sessions == nil {
		l.sessions = keyring.NewSessions(cfg.Store, l.keys)
		l.sessions.Idle, l.sessions.MaxAge = cfg.SessionIdle, cfg.SessionMaxAge
	}
	if l.links == nil {
		l.links = newLinks(l.keys, cfg.PublicURL, l.log)
	}
	l.recorder = delivery.NewRecorder(cfg.Store, l.log)
	if cfg.TrackMachines != nil {
		l.recorder.Machines = cfg.TrackMachines
	}
	l.recorder.KeepClient = cfg.TrackKeepClient
	l.recorder.Observer = cfg.Observer
	l.softBounces, l.eventRetention = cfg.SoftBounces, cfg.EventRetention
	if l.softBounces == (delivery.SoftBouncePolicy{}) {
		l.softBounces = delivery.DefaultSoftBounces
	}
	if cfg.Providers != nil {
		// The sandbox's emails are tests: not tracked (the console shows
		// them as written, and opening one records nothing).
		_, sandboxed := cfg.Providers[channel.Email].(*delivery.SandboxProvider)
		l.disp = delivery.New(delivery.Config{Store: cfg.Store, Log: l.log, Providers: cfg.Providers, ProviderRate: cfg.ProviderRate, Owner: l.eng.Queue().Owner, Lease: cfg.Lease, Observer: cfg.Observer,
			Renderer: &delivery.CampaignRenderer{Store: cfg.Store, Links: l.links, PublicURL: cmp.Or(cfg.PublicURL, NoPublicURL), Budget: cfg.RenderBudget, TestSends: sandboxed, VERP: cfg.VERP}})
	}
	return l
}

// newLinks issues the unsubscribe links. With no public URL configured,
// the first link issued says so: a send goes on (to the sandbox, whose
// messages show the links' shape), but no recipient could follow the
// links, and only a send with marketing email has any.
func newLinks(keys *keyring.Ring, publicURL string, log *slog.Logger) *delivery.Links {
	links := delivery.NewLinks(keys)
	if publicURL == "" {
		var once sync.Once
		now := links.Now
		links.Now = func() time.Time {
			once.Do(func() {
				log.Warn("no public URL is configured (--public-url, FANFARE_PUBLIC_URL): this send's unsubscribe links point at " + NoPublicURL + ", which no one can reach; give the address where recipients reach your fanfare server")
			})
			return now()
		}
	}
	return links
}

// Store returns the store the operations run on.
func (l *Local) Store() *store.Store { return l.store }

// Engine returns the engine that runs campaigns (its workers are the
// caller's to start).
func (l *Local) Engine() *engine.Engine { return l.eng }

// Dispatcher returns the dispatcher over the providers, nil without them
// (its loop is the caller's to start).
func (l *Local) Dispatcher() *delivery.Dispatcher { return l.disp }

// KeyRing returns the keyring of links.
func (l *Local) KeyRing() *keyring.Ring { return l.keys }

// Links returns what checks and issues unsubscribe links.
func (l *Local) Links() *delivery.Links { return l.links }

// TokenStore returns the API tokens.
func (l *Local) TokenStore() *keyring.Tokens { return l.tokens }

// Providers returns the channel providers, nil when this process sends
// nothing.
func (l *Local) Providers() map[string]channel.Provider { return l.providers }

// Limits returns what reading a file may cost.
func (l *Local) Limits() ingest.Limits { return l.limits }

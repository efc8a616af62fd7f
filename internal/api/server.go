package api

import (
	"cmp"
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/console"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// Server is the HTTP API over one store.
type Server struct {
	// svc runs the operations the handlers decode and encode.
	svc    *service.Local
	log    *slog.Logger
	token  string
	tokens *keyring.Tokens
	links  *delivery.Links
	// smsToken checks SMS status callbacks; publicURL is how the provider
	// reaches this server (the signature covers the URL).
	smsToken  string
	publicURL string
	// trustForwarded takes a tracking hit's address from the last
	// X-Forwarded-For the reverse proxy in front adds.
	trustForwarded bool
	webhooks       Webhooks
	version        string
	outages        func() []delivery.Outage
	problems       func() []Problem
	transfer       Transfer
	maxUpload      int64
	mux            *http.ServeMux
	// origins refuses unsafe requests with the session cookie from
	// another origin.
	origins *http.CrossOriginProtection
	// console serves the web console at /; nil when the build is missing.
	console http.Handler

	// smsCallback is the status callback URL the SMS provider was given.
	smsCallback string
	// metrics serves GET /metrics (nil: not served); requests is told of
	// every request.
	metrics  http.Handler
	requests RequestObserver
}

// RequestObserver is told of each request the API answered: its route
// pattern as routes.go registers it ("GET /api/runs/{id}"; "" when none
// matched), its status and how long it took. Internal/metrics implements
// it; a pattern, never the path, keeps what it counts bounded.
type RequestObserver interface {
	Request(route string, status int, took time.Duration)
}

// Config configures a Server.
type Config struct {
	// Service runs the operations (service.New builds it over a store,
	// with its providers, keys, links and limits); required.
	Service *service.Local
	Log     *slog.Logger
	// Every /api/ call except health, the OpenAPI document and the
	// session's sign-in and sign-out must present a bearer token — one of
	// Tokens (the store's, by default), or Token when set (tests) — or
	// the console's session cookie.
	Token  string
	Tokens *keyring.Tokens
	// SMSAuthToken and PublicURL check SMS status callbacks.
	SMSAuthToken string
	PublicURL    string
	// TrustForwarded: a reverse proxy in front of the server appends the
	// client's address to X-Forwarded-For (tracking tells machines by
	// their address).
	TrustForwarded bool
	// Webhooks are the email providers' feedback webhooks.
	Webhooks Webhooks
	Version  string
	// Outages lists the providers this node's dispatcher rests because
	// they fail (health shows them); nil for none.
	Outages func() []delivery.Outage

	// SMSStatusCallback is the SMS provider's StatusCallback: callbacks
	// are signed for that address, which may name another host or path
	// than PublicURL (a proxy); PublicURL and the request's path are
	// accepted too.
	SMSStatusCallback string
	// Problems lists the parts of this node that fail (health answers
	// 503 while there are any); nil for none.
	Problems func() []Problem
	// Transfer is the minimum rate of request bodies and responses; zero
	// means no pacing.
	Transfer Transfer
	// MaxUpload caps the bytes of an uploaded file (an import, a consent
	// file) as sent, compressed or not: an import's file is spooled to a
	// temporary file before it loads, so this bounds the disk an upload
	// may take. Zero means DefaultMaxUpload.
	MaxUpload int64
	// Metrics is the Prometheus exposition, served at GET /metrics to
	// callers the API authenticates (nil: not served); Requests is told
	// of every request (nil: no one).
	Metrics  http.Handler
	Requests RequestObserver
}

// DefaultMaxUpload is the upload cap when none is configured.
const DefaultMaxUpload = 4 << 30

// New builds the API server.
func New(cfg Config) *Server {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	svc := cfg.Service
	s := &Server{svc: svc, log: log, token: cfg.Token, tokens: svc.TokenStore(), links: svc.Links(), smsToken: cfg.SMSAuthToken, publicURL: cfg.PublicURL, trustForwarded: cfg.TrustForwarded, webhooks: cfg.Webhooks, version: cfg.Version, outages: cfg.Outages, problems: cfg.Problems, transfer: cfg.Transfer, maxUpload: cmp.Or(cfg.MaxUpload, DefaultMaxUpload), mux: http.NewServeMux()}
	s.smsCallback = cfg.SMSStatusCallback
	s.metrics, s.requests = cfg.Metrics, cfg.Requests
	s.origins = origins(cfg.PublicURL)
	if c, err := console.New(); err != nil {
		log.Error("the web console is not served", "err", err)
	} else {
		s.console = c
	}
	if cfg.Tokens != nil {
		s.tokens = cfg.Tokens
	}
	s.routes()
	return s
}

// ServeHTTP logs each request and dispatches it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w, r, done := s.transfer.paced(w, r, start)
	defer done()
	rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	if track, pattern, token, ok := s.trackRoute(r); ok {
		r.Pattern = pattern
		track(rw, r, token)
	} else {
		s.mux.ServeHTTP(rw, r)
	}
	took := time.Since(start)
	if s.requests != nil {
		// The mux set the pattern it matched on r itself.
		s.requests.Request(r.Pattern, rw.status, took)
	}
	path, level := logged(r)
	// Asked first: the line's arguments are allocated even when its
	// level is off, as it is for the thousands of tracking hits a second.
	if s.log.Enabled(r.Context(), level) {
		s.log.Log(r.Context(), level, "http", "method", r.Method, "path", path, "status", rw.status, "ms", took.Milliseconds())
	}
}

// logged is the path a request's log line shows and its level: a
// recipient's link (/u/, /t/) is logged without its token — a capability:
// an unsubscribe link works for whoever holds it — and opens and clicks,
// thousands a second under load, at debug.
func logged(r *http.Request) (string, slog.Level) {
	p, ok := strings.CutSuffix(r.Pattern, "{token}")
	if !ok {
		return r.URL.Path, slog.LevelInfo
	}
	_, p, _ = strings.Cut(p, " ")
	if strings.HasPrefix(p, "/t/") {
		return p + "…", slog.LevelDebug
	}
	return p + "…", slog.LevelInfo
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// auth requires an API token, or with no Authorization header the
// console's session cookie: the request goes on with its actor,
// token:<name> (the token the session signed in with), in its context
// (audit.From, TokenName).
func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			if c, err := r.Cookie(SessionCookie); err == nil {
				s.withSession(w, r, c.Value, h)
				return
			}
		}
		// The scheme is case-insensitive (RFC 9110, 11.1).
		scheme, got, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		got = strings.TrimSpace(got)
		ok := strings.EqualFold(scheme, "Bearer")
		name, err := s.checkToken(r.Context(), got)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !ok || name == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fanfare"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid API token is required (Authorization: Bearer …)", nil)
			return
		}
		h(w, r.WithContext(audit.WithActor(r.Context(), audit.Token(name))))
	}
}

// checkToken returns the name of a valid token, "" for none.
func (s *Server) checkToken(ctx context.Context, tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	if s.token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) == 1 {
		return "configured", nil
	}
	name, ok, err := s.tokens.Check(ctx, tok)
	if err != nil || !ok {
		return "", err
	}
	return name, nil
}

// TokenName is the name of the API token a request presented, such as
// "local" or "ci": who did what the request does (an actor token:<name>).
func TokenName(ctx context.Context) string {
	a, ok := audit.From(ctx)
	if !ok || a.Kind != audit.KindToken {
		return ""
	}
	return a.Name
}

// Serve runs the server on ln until ctx ends, then shuts down gracefully,
// letting requests in flight finish.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

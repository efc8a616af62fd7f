package api

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Server is the HTTP API over one store.
type Server struct {
	store  *store.Store
	engine *engine.Engine
	log    *slog.Logger
	token  string
	signer delivery.Signer
	// smsToken checks SMS status callbacks; publicURL is how the provider
	// reaches this server (the signature covers the URL).
	smsToken  string
	publicURL string
	version   string
	// providers send proofs; nil when the server sends nothing.
	providers map[string]channel.Provider
	outages   func() []delivery.Outage
	limits    ingest.Limits
	transfer  Transfer
	mux       *http.ServeMux
}

// Config configures a Server.
type Config struct {
	Store *store.Store
	// Engine runs campaigns; nil builds one that only records (no workers).
	Engine *engine.Engine
	Log    *slog.Logger
	// Token is the bearer token every /api/ call except health and the
	// OpenAPI document must present.
	Token string
	// UnsubscribeKey signs the unsubscribe links of messages.
	UnsubscribeKey []byte
	// SMSAuthToken and PublicURL check SMS status callbacks.
	SMSAuthToken string
	PublicURL    string
	Version      string
	// Providers send proofs of messages (the dispatcher's providers); nil
	// answers proofs with 503.
	Providers map[string]channel.Provider
	// Outages lists the providers this node's dispatcher rests because
	// they fail (health shows them); nil for none.
	Outages func() []delivery.Outage
	// Limits bound what reading an uploaded file (an import, a consent
	// file) may cost; zero means the defaults.
	Limits ingest.Limits
	// Transfer is the minimum rate of request bodies and responses; zero
	// means no pacing.
	Transfer Transfer
}

// New builds the API server.
func New(cfg Config) *Server {
	s := &Server{store: cfg.Store, engine: cfg.Engine, log: cfg.Log, token: cfg.Token, signer: delivery.Signer{Key: cfg.UnsubscribeKey}, smsToken: cfg.SMSAuthToken, publicURL: cfg.PublicURL, version: cfg.Version, providers: cfg.Providers, outages: cfg.Outages, limits: cfg.Limits, transfer: cfg.Transfer, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.engine == nil {
		s.engine = engine.New(engine.Config{Store: cfg.Store, Log: s.log})
	}
	s.routes()
	return s
}

// ServeHTTP logs each request and dispatches it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w, r, done := s.transfer.paced(w, r)
	defer done()
	rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(rw, r)
	s.log.Info("http", "method", r.Method, "path", r.URL.Path, "status", rw.status, "ms", time.Since(start).Milliseconds())
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

// auth requires the bearer token.
func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fanfare"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid API token is required (Authorization: Bearer …)", nil)
			return
		}
		h(w, r)
	}
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

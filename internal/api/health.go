package api

import (
	"context"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
)

// Health is the answer of GET /api/health.
type Health struct {
	// Status is ok, degraded (a provider fails: its messages wait, the
	// rest go), failing (a part of the server does not work, see
	// Problems; answered with 503) or unavailable (the store does not
	// answer; 503).
	Status   string `json:"status"`
	Version  string `json:"version"`
	Store    string `json:"store"`
	Location string `json:"location,omitempty"`
	PID      int    `json:"pid"`
	// ProvidersFailing lists the channels whose provider this node rests
	// because it fails.
	ProvidersFailing []delivery.Outage `json:"providers_failing,omitempty"`
	// Problems lists the parts of this node that fail (the engine, the
	// dispatcher), with why; they are retried until they work.
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is a part of the node that fails.
type Problem struct {
	Part     string    `json:"part"`
	Error    string    `json:"error"`
	Since    time.Time `json:"since"`
	Attempts int       `json:"attempts"`
	RetryAt  time.Time `json:"retry_at"`
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := s.Health(r.Context())
	code := http.StatusOK
	if h.Status == "failing" || h.Status == "unavailable" {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, h)
}

// Health reports this node's health, as GET /api/health answers it (and
// as the node reports itself to the others: service.Beating).
func (s *Server) Health(ctx context.Context) Health {
	// A database server's location is not told, only the embedded
	// store's file.
	d := s.svc.Describe()
	h := Health{Status: "ok", Version: s.version, Store: d.Kind, Location: d.File, PID: pid()}
	if s.outages != nil {
		if h.ProvidersFailing = s.outages(); len(h.ProvidersFailing) > 0 {
			h.Status = "degraded"
		}
	}
	if s.problems != nil {
		if h.Problems = s.problems(); len(h.Problems) > 0 {
			sort.Slice(h.Problems, func(i, j int) bool { return h.Problems[i].Part < h.Problems[j].Part })
			h.Status = "failing"
		}
	}
	if err := s.svc.Ping(ctx); err != nil {
		h.Status = "unavailable"
	}
	return h
}

// nodes lists the servers sharing the store with their health.
func (s *Server) nodes() http.HandlerFunc {
	return handle(s, noRequest, func(ctx context.Context, _ none) (any, error) {
		nodes, err := s.svc.Nodes(ctx)
		return map[string]any{"nodes": nodes}, err
	}, http.StatusOK)
}

func pid() int { return os.Getpid() }

package api

import (
	"net/http"
	"os"

	"github.com/fanfare-dev/fanfare/internal/delivery"
)

// Health is the answer of GET /api/health.
type Health struct {
	// Status is ok, degraded (a provider fails: its messages wait, the
	// rest go) or unavailable (the store does not answer).
	Status   string `json:"status"`
	Version  string `json:"version"`
	Store    string `json:"store"`
	Location string `json:"location,omitempty"`
	PID      int    `json:"pid"`
	// ProvidersFailing lists the channels whose provider this node rests
	// because it fails.
	ProvidersFailing []delivery.Outage `json:"providers_failing,omitempty"`
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := Health{Status: "ok", Version: s.version, Store: s.store.Dialect.Name(), PID: pid()}
	if s.store.Embedded() {
		h.Location = s.store.Location
	}
	if s.outages != nil {
		if h.ProvidersFailing = s.outages(); len(h.ProvidersFailing) > 0 {
			h.Status = "degraded"
		}
	}
	if err := s.store.DB.PingContext(r.Context()); err != nil {
		h.Status = "unavailable"
		writeJSON(w, http.StatusServiceUnavailable, h)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func pid() int { return os.Getpid() }

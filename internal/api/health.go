package api

import (
	"net/http"
	"os"
)

// Health is the answer of GET /api/health.
type Health struct {
	Status   string `json:"status"`
	Version  string `json:"version"`
	Store    string `json:"store"`
	Location string `json:"location,omitempty"`
	PID      int    `json:"pid"`
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := Health{Status: "ok", Version: s.version, Store: s.store.Dialect.Name(), PID: pid()}
	if s.store.Embedded() {
		h.Location = s.store.Location
	}
	if err := s.store.DB.PingContext(r.Context()); err != nil {
		h.Status = "unavailable"
		writeJSON(w, http.StatusServiceUnavailable, h)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func pid() int { return os.Getpid() }

package api

import (
	"encoding/json"
	"net/http"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/engine"
)

// resolveRun resends or drops a run's in-doubt messages, an operator's
// decision recorded with the token that took it.
func (s *Server) resolveRun(w http.ResponseWriter, r *http.Request) {
	id, err := runID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req engine.ResolveRequest
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(w, r, errBadRequest(`give the decision as {"decision": "resend" | "drop", "activity": "…" (optional)}: `+err.Error()))
		return
	}
	actor, ok := audit.From(r.Context())
	if !ok {
		s.fail(w, r, errBadRequest("no caller to record the decision for"))
		return
	}
	res, err := s.engine.Resolve(r.Context(), id, req, actor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

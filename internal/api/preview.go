package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
)

// PreviewRequest names the profile a channel activity's message is
// rendered for.
type PreviewRequest struct {
	// Key holds the profile's key values in key order.
	Key []any `json:"key"`
}

// ProofRequest sends a profile's rendered message to test addresses.
type ProofRequest struct {
	Key []any    `json:"key"`
	To  []string `json:"to"`
}

// ProofResponse is the outcome of a proof: the message sent and one
// result per test address.
type ProofResponse struct {
	Message *channel.Message `json:"message"`
	Results []channel.Result `json:"results"`
}

func decodeBody(r *http.Request, what string, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return errBadBody(what, err)
	}
	return nil
}

// previewMessage renders a campaign's channel activity for one profile.
func (s *Server) previewMessage(w http.ResponseWriter, r *http.Request) {
	var req PreviewRequest
	if err := decodeBody(r, "preview request", &req); err != nil {
		s.fail(w, r, err)
		return
	}
	msg, err := delivery.PreviewMessage(r.Context(), s.store, r.PathValue("name"), r.PathValue("activity"), req.Key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, msg)
}

// sendProof renders a campaign's channel activity for one profile and
// sends it to test addresses; the outbox and the figures are untouched.
func (s *Server) sendProof(w http.ResponseWriter, r *http.Request) {
	if s.providers == nil {
		writeError(w, http.StatusServiceUnavailable, "no_provider", "no providers configured", nil)
		return
	}
	var req ProofRequest
	if err := decodeBody(r, "proof request", &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.To) == 0 {
		s.fail(w, r, errBadRequest(`give the test addresses as {"to": ["…"]}`))
		return
	}
	msg, err := delivery.PreviewMessage(r.Context(), s.store, r.PathValue("name"), r.PathValue("activity"), req.Key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := delivery.SendProof(r.Context(), s.providers, msg, req.To)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ProofResponse{Message: msg, Results: res})
}

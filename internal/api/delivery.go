package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/schema"
)

func (s *Server) sink() *delivery.StoreSink { return &delivery.StoreSink{Store: s.store} }

// listMessages lists what the sandbox captured (optionally of one run).
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	run, _ := strconv.ParseInt(r.URL.Query().Get("run"), 10, 64)
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.fail(w, r, errBadRequest(fmt.Sprintf("limit %q: want 1 to %d", v, delivery.MaxMessagesPage)))
			return
		}
		limit = n
	}
	list, err := s.sink().List(r.Context(), run, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": list})
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) {
	m, err := s.sink().Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// ConsentRequest records a profile's consent for a channel.
type ConsentRequest struct {
	Dimension string `json:"dimension"`
	// Key holds the profile's key values in key order.
	Key     []any  `json:"key"`
	Channel string `json:"channel"`
	Status  string `json:"status"`
	Source  string `json:"source,omitempty"`
}

func (s *Server) setConsent(w http.ResponseWriter, r *http.Request) {
	var req ConsentRequest
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		s.fail(w, r, errBadBody("consent", err))
		return
	}
	key, err := delivery.ProfileKeyOf(r.Context(), s.store, req.Dimension, req.Key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Source == "" {
		req.Source = "api"
	}
	if err := delivery.SetConsent(r.Context(), s.store, req.Dimension, key, req.Channel, req.Status, req.Source, time.Now()); err != nil {
		s.fail(w, r, errRefused(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dimension": req.Dimension, "profile_key": key, "channel": req.Channel, "status": req.Status})
}

// getConsent shows a profile's consent: ?dimension=customers&key=8 (a key
// parameter per key attribute, in key order).
func (s *Server) getConsent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	values := make([]any, len(q["key"]))
	for i, v := range q["key"] {
		values[i] = v
	}
	dim := q.Get("dimension")
	key, err := delivery.ProfileKeyOf(r.Context(), s.store, dim, values)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc, err := delivery.ConsentOf(r.Context(), s.store, dim, key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pc)
}

// listSuppressions pages through a channel's suppression list
// (?channel=email&after=…&limit=…), or looks one address up (?address=…).
func (s *Server) listSuppressions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > delivery.MaxSuppressionsPage {
			s.fail(w, r, errBadRequest(fmt.Sprintf("limit %q: want 1 to %d", v, delivery.MaxSuppressionsPage)))
			return
		}
		limit = n
	}
	address, exact := q.Get("after"), false
	if a := q.Get("address"); a != "" {
		address, exact = a, true
	}
	list, err := delivery.Suppressions(r.Context(), s.store, q.Get("channel"), address, exact, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"suppressions": list})
}

// importConsent records a consent file (delivery.ImportConsent).
func (s *Server) importConsent(w http.ResponseWriter, r *http.Request) {
	m, _, err := schema.Current(r.Context(), s.store)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	res, err := delivery.ImportConsent(r.Context(), s.store, m, q.Get("dimension"), http.MaxBytesReader(nil, r.Body, 1<<30), q.Get("source"), time.Now(), s.limits)
	if errors.Is(err, delivery.ErrConsentFile) && !errors.Is(err, ErrSlowClient) {
		err = errBadRequest(err.Error())
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// SuppressionRequest puts an address on (or takes it off) the list.
type SuppressionRequest struct {
	Channel string `json:"channel"`
	Address string `json:"address"`
	Reason  string `json:"reason,omitempty"`
}

func (s *Server) suppress(w http.ResponseWriter, r *http.Request) {
	var req SuppressionRequest
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16)).Decode(&req); err != nil {
		s.fail(w, r, errBadBody("suppression", err))
		return
	}
	if req.Reason == "" {
		req.Reason = "api"
	}
	if err := delivery.Suppress(r.Context(), s.store, req.Channel, req.Address, req.Reason, time.Now()); err != nil {
		s.fail(w, r, errRefused(err))
		return
	}
	writeJSON(w, http.StatusOK, req)
}

func (s *Server) unsuppress(w http.ResponseWriter, r *http.Request) {
	var req SuppressionRequest
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16)).Decode(&req); err != nil {
		s.fail(w, r, errBadBody("suppression", err))
		return
	}
	if err := delivery.Unsuppress(r.Context(), s.store, req.Channel, req.Address); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// runFigures returns the delivery figures of a run's channel activities.
func (s *Server) runFigures(w http.ResponseWriter, r *http.Request) {
	id, err := runID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	figs, err := delivery.RunFigures(r.Context(), s.store, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"channels": figs})
}

// confirmSend releases a run's held messages (policy confirm_send).
func (s *Server) confirmSend(w http.ResponseWriter, r *http.Request) {
	id, err := runID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.engine.ConfirmSend(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"released": n})
}

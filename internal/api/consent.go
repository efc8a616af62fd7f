package api

import (
	"context"
	"net/http"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/service"
)

func (s *Server) setConsent() http.HandlerFunc {
	return handle(s, jsonBody[service.ConsentRequest]("consent", 1<<16, 0), func(ctx context.Context, req service.ConsentRequest) (*service.ConsentSet, error) {
		return s.svc.SetConsent(ctx, req.Dimension, req.Key, req.Channel, req.Status, req.Source)
	}, http.StatusOK)
}

// consentQuery names a profile: ?dimension=customers&key=8 (a key
// parameter per key attribute, in key order).
type consentQuery struct {
	dimension string
	key       []any
}

// getConsent shows a profile's consent.
func (s *Server) getConsent() http.HandlerFunc {
	decode := func(r *http.Request) (consentQuery, error) {
		q := r.URL.Query()
		values := make([]any, len(q["key"]))
		for i, v := range q["key"] {
			values[i] = v
		}
		return consentQuery{q.Get("dimension"), values}, nil
	}
	return handle(s, decode, func(ctx context.Context, q consentQuery) (*delivery.ProfileConsent, error) {
		return s.svc.Consent(ctx, q.dimension, q.key)
	}, http.StatusOK)
}

// importConsent records a consent file (delivery.ImportConsent).
func (s *Server) importConsent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	res, err := s.svc.ImportConsent(r.Context(), q.Get("dimension"), q.Get("source"), s.uploaded(w, r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// suppressionsQuery pages through a channel's suppression list.
type suppressionsQuery struct {
	channel, address string
	exact            bool
	limit            int
}

// listSuppressions pages through a channel's suppression list
// (?channel=email&after=…&limit=…), or looks one address up (?address=…).
func (s *Server) listSuppressions() http.HandlerFunc {
	decode := func(r *http.Request) (suppressionsQuery, error) {
		q := r.URL.Query()
		limit, err := queryLimit(r, delivery.MaxSuppressionsPage)
		address, exact := q.Get("after"), false
		if a := q.Get("address"); a != "" {
			address, exact = a, true
		}
		return suppressionsQuery{q.Get("channel"), address, exact, limit}, err
	}
	return handle(s, decode, func(ctx context.Context, q suppressionsQuery) (any, error) {
		list, err := s.svc.Suppressions(ctx, q.channel, q.address, q.exact, q.limit)
		return map[string]any{"suppressions": list}, err
	}, http.StatusOK)
}

var readSuppression = jsonBody[service.SuppressionRequest]("suppression", 1<<16, 0)

func (s *Server) suppress() http.HandlerFunc {
	return handle(s, readSuppression, func(ctx context.Context, req service.SuppressionRequest) (service.SuppressionRequest, error) {
		if req.Reason == "" {
			req.Reason = "api"
		}
		return req, s.svc.Suppress(ctx, req.Channel, req.Address, req.Reason)
	}, http.StatusOK)
}

func (s *Server) unsuppress() http.HandlerFunc {
	return handle(s, readSuppression, func(ctx context.Context, req service.SuppressionRequest) (none, error) {
		return none{}, s.svc.Unsuppress(ctx, req.Channel, req.Address)
	}, http.StatusNoContent)
}

// eraseRequest names the profile to erase.
type eraseRequest struct {
	Dimension string `json:"dimension"`
	Key       []any  `json:"key"`
}

// eraseProfile removes every trace of a profile's messages.
func (s *Server) eraseProfile() http.HandlerFunc {
	return handle(s, jsonBody[eraseRequest]("erase request", 1<<16, bodyStrict), func(ctx context.Context, req eraseRequest) (*delivery.Erasure, error) {
		return s.svc.ProfileErase(ctx, req.Dimension, req.Key)
	}, http.StatusOK)
}

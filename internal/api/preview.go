package api

import (
	"context"
	"net/http"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// activityBody is a request about a campaign's channel activity.
type activityBody[T any] struct {
	name, activity string
	body           T
}

func readActivityBody[T any](what string) func(*http.Request) (activityBody[T], error) {
	read := jsonBody[T](what, maxCampaignBytes+1<<16, bodyOptional)
	return func(r *http.Request) (activityBody[T], error) {
		body, err := read(r)
		return activityBody[T]{r.PathValue("name"), r.PathValue("activity"), body}, err
	}
}

// previewMessage renders a campaign's channel activity for one profile.
func (s *Server) previewMessage() http.HandlerFunc {
	return handle(s, readActivityBody[service.PreviewRequest]("preview request"), func(ctx context.Context, req activityBody[service.PreviewRequest]) (*channel.Message, error) {
		return s.svc.PreviewMessage(ctx, req.name, req.activity, req.body)
	}, http.StatusOK)
}

// sendProof renders a campaign's channel activity for one profile and
// sends it to test addresses; the outbox and the figures are untouched.
func (s *Server) sendProof() http.HandlerFunc {
	return handle(s, readActivityBody[service.ProofRequest]("proof request"), func(ctx context.Context, req activityBody[service.ProofRequest]) (*service.ProofResponse, error) {
		msg, res, err := s.svc.SendProof(ctx, req.name, req.activity, req.body)
		return &service.ProofResponse{Message: msg, Results: res}, err
	}, http.StatusOK)
}

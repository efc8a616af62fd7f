package api

import (
	"context"
	"net/http"

	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// maxModelBytes bounds a model document.
const maxModelBytes = 4 << 20

var readModelBody = readAll("model document", maxModelBytes)

func (s *Server) getModel() http.HandlerFunc {
	return handle(s, noRequest, func(ctx context.Context, _ none) (*service.ModelResponse, error) { return s.svc.Model(ctx, 0) }, http.StatusOK)
}

func (s *Server) getModelVersion() http.HandlerFunc {
	return handle(s, pathInt("version", "version"), s.svc.Model, http.StatusOK)
}

func (s *Server) modelHistory() http.HandlerFunc {
	return handle(s, noRequest, func(ctx context.Context, _ none) (any, error) {
		h, err := s.svc.ModelHistory(ctx)
		return map[string]any{"versions": h}, err
	}, http.StatusOK)
}

func (s *Server) validateModel() http.HandlerFunc {
	return handle(s, readModelBody, s.svc.ValidateModel, http.StatusOK)
}

// applyRequest is a model document and how to apply it.
type applyRequest struct {
	doc  []byte
	opts schema.ApplyOptions
}

func (s *Server) applyModel() http.HandlerFunc {
	decode := func(r *http.Request) (applyRequest, error) {
		doc, err := readModelBody(r)
		q := r.URL.Query()
		return applyRequest{doc, schema.ApplyOptions{AllowDestructive: q.Get("allow_destructive") == "true", DryRun: q.Get("dry_run") == "true"}}, err
	}
	return handle(s, decode, func(ctx context.Context, req applyRequest) (*schema.ApplyResult, error) {
		return s.svc.ApplyModel(ctx, req.doc, req.opts)
	}, http.StatusOK)
}

// listEntities answers every entity of the model with its row count.
func (s *Server) listEntities() http.HandlerFunc {
	return handle(s, noRequest, func(ctx context.Context, _ none) (*service.EntitiesResponse, error) { return s.svc.Entities(ctx) }, http.StatusOK)
}

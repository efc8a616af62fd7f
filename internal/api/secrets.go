package api

import (
	"context"
	"net/http"

	"github.com/fanfare-dev/fanfare/internal/service"
)

func (s *Server) listTokens() http.HandlerFunc {
	return handle(s, noRequest, func(ctx context.Context, _ none) (*service.TokenList, error) {
		ts, err := s.svc.Tokens(ctx)
		return &service.TokenList{Tokens: ts}, err
	}, http.StatusOK)
}

func (s *Server) createToken() http.HandlerFunc {
	return handle(s, jsonBody[service.TokenRequest]("token request", 1<<16, bodyOptional), func(ctx context.Context, req service.TokenRequest) (*service.TokenCreated, error) {
		tok, err := s.svc.CreateToken(ctx, req.Name)
		return &service.TokenCreated{Name: req.Name, Token: tok}, err
	}, http.StatusCreated)
}

func (s *Server) revokeToken() http.HandlerFunc {
	return handle(s, pathName, func(ctx context.Context, name string) (none, error) {
		return none{}, s.svc.RevokeToken(ctx, name)
	}, http.StatusNoContent)
}

func (s *Server) listKeys() http.HandlerFunc {
	return handle(s, noRequest, func(ctx context.Context, _ none) (*service.KeyList, error) { return s.svc.Keys(ctx) }, http.StatusOK)
}

func (s *Server) rotateKey() http.HandlerFunc {
	return handle(s, noRequest, func(ctx context.Context, _ none) (*service.KeyList, error) { return s.svc.RotateKey(ctx) }, http.StatusOK)
}

func (s *Server) retireKey() http.HandlerFunc {
	return handle(s, func(r *http.Request) (string, error) { return r.PathValue("id"), nil }, s.svc.RetireKey, http.StatusOK)
}

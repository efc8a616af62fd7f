package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// draftBody is a request about a campaign's working draft.
type draftBody[T any] struct {
	name string
	body T
}

func readDraftBody[T any](what string) func(*http.Request) (draftBody[T], error) {
	read := jsonBody[T](what, maxCampaignBytes+1<<16, bodyStrict)
	return func(r *http.Request) (draftBody[T], error) {
		body, err := read(r)
		return draftBody[T]{r.PathValue("name"), body}, err
	}
}

func (s *Server) getDraft() http.HandlerFunc {
	return handle(s, pathName, s.svc.CampaignDraft, http.StatusOK)
}

func (s *Server) putDraft() http.HandlerFunc {
	return handle(s, readDraftBody[service.DraftRequest]("draft"), func(ctx context.Context, req draftBody[service.DraftRequest]) (*engine.Draft, error) {
		return s.svc.CampaignDraftPut(ctx, req.name, req.body)
	}, http.StatusOK)
}

func (s *Server) discardDraft() http.HandlerFunc {
	return handle(s, pathName, func(ctx context.Context, name string) (none, error) {
		return none{}, s.svc.CampaignDraftDiscard(ctx, name)
	}, http.StatusNoContent)
}

// saveDraftRequest names the revision of the draft to make a version of.
type saveDraftRequest struct {
	Revision int64 `json:"revision"`
}

func (s *Server) saveDraft() http.HandlerFunc {
	return handle(s, readDraftBody[saveDraftRequest]("save request"), func(ctx context.Context, req draftBody[saveDraftRequest]) (*engine.Campaign, error) {
		return s.svc.CampaignDraftSave(ctx, req.name, req.body.Revision)
	}, http.StatusOK)
}

// cronRequest asks for the next occurrences of a cron expression.
type cronRequest struct {
	cron, timezone string
	n              int
}

func (s *Server) cronNext() http.HandlerFunc {
	decode := func(r *http.Request) (cronRequest, error) {
		q := r.URL.Query()
		req := cronRequest{cron: q.Get("cron"), timezone: q.Get("timezone"), n: 5}
		if v := q.Get("n"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return req, errBadRequest("n must be a number")
			}
			req.n = n
		}
		return req, nil
	}
	return handle(s, decode, func(ctx context.Context, req cronRequest) (map[string][]time.Time, error) {
		next, err := s.svc.CronNext(ctx, req.cron, req.timezone, req.n)
		if next == nil {
			next = []time.Time{}
		}
		return map[string][]time.Time{"next": next}, err
	}, http.StatusOK)
}

func (s *Server) campaignVersions() http.HandlerFunc {
	return handle(s, pathName, func(ctx context.Context, name string) (map[string][]engine.CampaignVersion, error) {
		vs, err := s.svc.CampaignVersions(ctx, name)
		return map[string][]engine.CampaignVersion{"versions": vs}, err
	}, http.StatusOK)
}

func (s *Server) campaignVersion() http.HandlerFunc {
	return handle(s, pathVersion, func(ctx context.Context, req versionRequest) (*engine.CampaignVersion, error) {
		return s.svc.CampaignVersion(ctx, req.name, req.version)
	}, http.StatusOK)
}

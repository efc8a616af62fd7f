package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/fanfare-dev/fanfare/internal/engine"
)

// recentRuns lists the runs of every campaign, newest first.
func (s *Server) recentRuns() http.HandlerFunc {
	return handle(s, func(r *http.Request) (int, error) { return queryLimit(r, 1000) }, func(ctx context.Context, limit int) (any, error) {
		runs, err := s.svc.RecentRuns(ctx, limit)
		return map[string]any{"runs": runs}, err
	}, http.StatusOK)
}

func (s *Server) runStatus() http.HandlerFunc {
	return handle(s, runID, s.svc.RunStatus, http.StatusOK)
}

// runAction pauses, resumes or stops a run.
func (s *Server) runAction(action string) http.HandlerFunc {
	return handle(s, runID, func(ctx context.Context, id int64) (*engine.RunStatus, error) {
		return s.svc.RunAction(ctx, id, action)
	}, http.StatusOK)
}

// activityRequest names an activity of a run.
type activityRequest struct {
	id       int64
	activity string
}

func (s *Server) retryActivity() http.HandlerFunc {
	decode := func(r *http.Request) (activityRequest, error) {
		id, err := runID(r)
		return activityRequest{id, r.PathValue("activity")}, err
	}
	return handle(s, decode, func(ctx context.Context, req activityRequest) (*engine.RunStatus, error) {
		return s.svc.RunRetry(ctx, req.id, req.activity)
	}, http.StatusOK)
}

// previewRequest asks for the first rows of a transition.
type previewRequest struct {
	id             int64
	activity, port string
	limit          int
}

func (s *Server) previewRun() http.HandlerFunc {
	decode := func(r *http.Request) (previewRequest, error) {
		id, err := runID(r)
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		return previewRequest{id, q.Get("activity"), q.Get("port"), limit}, err
	}
	return handle(s, decode, func(ctx context.Context, req previewRequest) (any, error) {
		cols, rows, err := s.svc.RunPreview(ctx, req.id, req.activity, req.port, req.limit)
		return map[string]any{"columns": cols, "rows": rows}, err
	}, http.StatusOK)
}

// resolveRequest is an operator's decision on a run's in-doubt messages.
type resolveRequest struct {
	id  int64
	req engine.ResolveRequest
}

// resolveRun resends or drops a run's in-doubt messages, an operator's
// decision recorded with the token that took it.
func (s *Server) resolveRun() http.HandlerFunc {
	read := jsonBody[engine.ResolveRequest]("decision", 1<<16, bodyStrict)
	decode := func(r *http.Request) (resolveRequest, error) {
		id, err := runID(r)
		if err != nil {
			return resolveRequest{}, err
		}
		req, err := read(r)
		if err != nil {
			return resolveRequest{}, errBadRequest(`give the decision as {"decision": "resend" | "drop", "activity": "…" (optional)}: ` + errors.Unwrap(err).Error())
		}
		return resolveRequest{id, req}, nil
	}
	return handle(s, decode, func(ctx context.Context, req resolveRequest) (*engine.Resolution, error) {
		return s.svc.RunResolve(ctx, req.id, req.req)
	}, http.StatusOK)
}

// runFigures returns the delivery figures of a run's channel activities.
func (s *Server) runFigures() http.HandlerFunc {
	return handle(s, runID, func(ctx context.Context, id int64) (any, error) {
		figs, err := s.svc.RunFigures(ctx, id)
		return map[string]any{"channels": figs}, err
	}, http.StatusOK)
}

// confirmSend releases a run's held messages (policy confirm_send).
func (s *Server) confirmSend() http.HandlerFunc {
	return handle(s, runID, func(ctx context.Context, id int64) (any, error) {
		n, err := s.svc.RunConfirm(ctx, id)
		return map[string]any{"released": n}, err
	}, http.StatusOK)
}

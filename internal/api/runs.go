package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
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

// runBreakdown counts a transition's rows by the values of a column:
// ?activity=&port=&column=&top=.
func (s *Server) runBreakdown() http.HandlerFunc {
	type request struct {
		id                     int64
		activity, port, column string
		top                    int
	}
	decode := func(r *http.Request) (request, error) {
		id, err := runID(r)
		if err != nil {
			return request{}, err
		}
		q := r.URL.Query()
		req := request{id: id, activity: q.Get("activity"), port: q.Get("port"), column: q.Get("column")}
		if v := q.Get("top"); v != "" {
			if req.top, err = strconv.Atoi(v); err != nil {
				return request{}, errBadRequest("top must be a whole number")
			}
		}
		return req, nil
	}
	return handle(s, decode, func(ctx context.Context, r request) (*engine.Breakdown, error) {
		return s.svc.RunBreakdown(ctx, r.id, r.activity, r.port, r.column, r.top)
	}, http.StatusOK)
}

// runLog reads a run's log: ?activity= one activity's lines (empty: the
// run's own), ?after= the lines numbered after, ?limit= at most.
func (s *Server) runLog() http.HandlerFunc {
	type request struct {
		id  int64
		req service.RunLogRequest
	}
	decode := func(r *http.Request) (request, error) {
		id, err := runID(r)
		if err != nil {
			return request{}, err
		}
		q := r.URL.Query()
		var req service.RunLogRequest
		if q.Has("activity") {
			a := q.Get("activity")
			req.Activity = &a
		}
		if v := q.Get("after"); v != "" {
			if req.After, err = strconv.ParseInt(v, 10, 64); err != nil {
				return request{}, errBadRequest("after must be a whole number")
			}
		}
		if v := q.Get("limit"); v != "" {
			if req.Limit, err = strconv.Atoi(v); err != nil {
				return request{}, errBadRequest("limit must be a whole number")
			}
		}
		return request{id, req}, nil
	}
	return handle(s, decode, func(ctx context.Context, r request) (any, error) {
		entries, err := s.svc.RunLog(ctx, r.id, r.req)
		return map[string]any{"entries": entries}, err
	}, http.StatusOK)
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

// KeepAlive is how often an idle event stream gets a comment, so that
// proxies and browsers do not take it for dead.
const KeepAlive = 15 * time.Second

// watchRun streams a run as server-sent events: `event: update` with a
// service.RunUpdate as its data, at once and then each time the run
// changes (service.RunWatch reads it from the store, so counts another
// node records show too), a comment every KeepAlive, and the stream ends
// after the final update. A run that does not exist answers 404 before
// the stream starts; a failure later is an `event: error` with the error
// body as data.
func (s *Server) watchRun(w http.ResponseWriter, r *http.Request) {
	id, err := runID(r)
	if err == nil {
		_, err = s.svc.RunStatus(r.Context(), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	var mu sync.Mutex
	send := func(chunk string) error {
		mu.Lock()
		defer mu.Unlock()
		if _, err := io.WriteString(w, chunk); err != nil {
			return err
		}
		return rc.Flush()
	}
	if send(": watching run "+strconv.FormatInt(id, 10)+"\n\n") != nil {
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		t := time.NewTicker(KeepAlive)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if send(": keep-alive\n\n") != nil {
					cancel()
					return
				}
			}
		}
	}()
	err = s.svc.RunWatch(ctx, id, func(u service.RunUpdate) error {
		b, err := json.Marshal(u)
		if err != nil {
			return err
		}
		return send("event: update\ndata: " + string(b) + "\n\n")
	})
	if err != nil && ctx.Err() == nil {
		s.log.Error("watch run", "run", id, "err", err)
		b, _ := json.Marshal(ErrorBody{Error: ErrorDetail{Code: "internal", Message: "the run could not be read; see the server log"}})
		_ = send("event: error\ndata: " + string(b) + "\n\n")
	}
}

// runReport reports on a run, as JSON or (format=csv) its figures as CSV.
func (s *Server) runReport(w http.ResponseWriter, r *http.Request) {
	id, err := runID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	if t := q.Get("table"); t != "" && t != "activities" && t != "uplift" {
		s.fail(w, r, errBadRequest("table must be activities or uplift"))
		return
	}
	rep, err := s.svc.RunReport(r.Context(), id, service.RunReportRequest{By: q.Get("by"), Conversion: q.Get("conversion"), Within: q.Get("within")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch r.URL.Query().Get("format") {
	case "", "json":
		writeJSON(w, http.StatusOK, rep)
	case "csv":
		write, name := rep.WriteCSV, "report"
		if q.Get("table") == "uplift" {
			write, name = rep.WriteUpliftCSV, "uplift"
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="run-%d-%s.csv"`, id, name))
		if err := write(w); err != nil {
			s.log.Error("write a report", "run", id, "err", err)
		}
	default:
		s.fail(w, r, errBadRequest("format must be json or csv"))
	}
}

// campaignReport reports on a campaign's live runs (since, until), as
// JSON or (format=csv) one CSV line per run.
func (s *Server) campaignReport(w http.ResponseWriter, r *http.Request) {
	name, q := r.PathValue("name"), r.URL.Query()
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		s.fail(w, r, errBadRequest("format must be json or csv"))
		return
	}
	rep, err := s.svc.CampaignReport(r.Context(), name, service.CampaignReportRequest{Since: q.Get("since"), Until: q.Get("until")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if format != "csv" {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="campaign-report.csv"`)
	if err := rep.WriteCSV(w); err != nil {
		s.log.Error("write a campaign's report", "campaign", name, "err", err)
	}
}

// saveOutput saves the rows a run's transition carried as an audience.
func (s *Server) saveOutput() http.HandlerFunc {
	read := jsonBody[service.SaveOutputRequest]("save request", 1<<16, bodyStrict)
	decode := func(r *http.Request) (runBody[service.SaveOutputRequest], error) {
		id, err := runID(r)
		if err != nil {
			return runBody[service.SaveOutputRequest]{}, err
		}
		body, err := read(r)
		return runBody[service.SaveOutputRequest]{id, body}, err
	}
	return handle(s, decode, func(ctx context.Context, req runBody[service.SaveOutputRequest]) (*audience.Audience, error) {
		return s.svc.RunSaveOutput(ctx, req.id, req.body)
	}, http.StatusCreated)
}

// runBody is a request about a run with a body.
type runBody[T any] struct {
	id   int64
	body T
}

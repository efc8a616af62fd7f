package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/fanfare-dev/fanfare/internal/engine"
)

// maxCampaignBytes bounds a campaign document.
const maxCampaignBytes = 4 << 20

func readDocument(r *http.Request) ([]byte, error) {
	doc, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxCampaignBytes))
	if err != nil {
		return nil, errBadBody("campaign document", err)
	}
	return doc, nil
}

func (s *Server) saveCampaign(w http.ResponseWriter, r *http.Request) {
	doc, err := readDocument(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.engine.Save(r.Context(), doc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) validateCampaign(w http.ResponseWriter, r *http.Request) {
	doc, err := readDocument(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.engine.Check(r.Context(), doc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) {
	list, err := s.engine.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"campaigns": list})
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.engine.Get(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) publishCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.engine.Publish(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) duplicateCampaign(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16)).Decode(&req); err != nil || req.Name == "" {
		s.fail(w, r, &badRequest{msg: `give the new name as {"name": "…"}`, err: err})
		return
	}
	c, err := s.engine.Duplicate(r.Context(), r.PathValue("name"), req.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// startRun starts a run; a live run with parameters is the campaign's
// external signal.
func (s *Server) startRun(w http.ResponseWriter, r *http.Request) {
	var opts engine.RunOptions
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(&opts); err != nil && !errors.Is(err, io.EOF) {
		s.fail(w, r, errBadBody("run options", err))
		return
	}
	if opts.Trigger == "" {
		opts.Trigger = "api"
	}
	run, err := s.engine.Start(r.Context(), r.PathValue("name"), opts)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, run)
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	runs, err := s.engine.Runs(r.Context(), r.PathValue("name"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": runs})
}

func runID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, errBadRequest("run id must be an integer")
	}
	return id, nil
}

func (s *Server) runStatus(w http.ResponseWriter, r *http.Request) {
	id, err := runID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.engine.Status(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// runAction pauses, resumes or stops a run.
func (s *Server) runAction(action func(*engine.Engine, *http.Request, int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := runID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := action(s.engine, r, id); err != nil {
			s.fail(w, r, err)
			return
		}
		st, err := s.engine.Status(r.Context(), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, st)
	}
}

func (s *Server) previewRun(w http.ResponseWriter, r *http.Request) {
	id, err := runID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	cols, rows, err := s.engine.Preview(r.Context(), id, q.Get("activity"), q.Get("port"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"columns": cols, "rows": rows})
}

// campaignSchedule previews the next occurrences of a campaign's schedule.
func (s *Server) campaignSchedule(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	next, err := s.engine.NextOccurrences(r.Context(), r.PathValue("name"), n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"occurrences": next})
}

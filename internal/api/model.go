package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/schema"
)

// maxModelBytes bounds a model document.
const maxModelBytes = 4 << 20

// ModelResponse is the current (or a past) data model.
type ModelResponse struct {
	Version  int64            `json:"version"`
	Document string           `json:"document"`
	Model    *datamodel.Model `json:"model"`
}

func readModelBody(r *http.Request) ([]byte, error) {
	doc, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxModelBytes))
	if err != nil {
		return nil, errBadBody("model document", err)
	}
	return doc, nil
}

func (s *Server) getModel(w http.ResponseWriter, r *http.Request) {
	m, v, err := schema.Current(r.Context(), s.store)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ModelResponse{Version: v, Document: string(datamodel.Document(m)), Model: m})
}

func (s *Server) getModelVersion(w http.ResponseWriter, r *http.Request) {
	v, err := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if err != nil {
		s.fail(w, r, errBadRequest("version must be an integer"))
		return
	}
	doc, m, err := schema.Version(r.Context(), s.store, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ModelResponse{Version: v, Document: doc, Model: m})
}

func (s *Server) modelHistory(w http.ResponseWriter, r *http.Request) {
	h, err := schema.History(r.Context(), s.store)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": h})
}

// ValidateResponse answers a valid model.
type ValidateResponse struct {
	Valid    bool     `json:"valid"`
	Entities []string `json:"entities"`
}

func (s *Server) validateModel(w http.ResponseWriter, r *http.Request) {
	doc, err := readModelBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := datamodel.Parse(doc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := ValidateResponse{Valid: true}
	for _, e := range m.Entities {
		resp.Entities = append(resp.Entities, e.Name)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) applyModel(w http.ResponseWriter, r *http.Request) {
	doc, err := readModelBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	opts := schema.ApplyOptions{AllowDestructive: q.Get("allow_destructive") == "true", DryRun: q.Get("dry_run") == "true"}
	res, err := schema.Apply(r.Context(), s.store, doc, opts)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

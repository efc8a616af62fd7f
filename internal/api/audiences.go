package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// maxQueryBytes bounds an audience request (10 000 values of an in-list fit).
const maxQueryBytes = 8 << 20

// AudienceRequest is a query in either form, with what it runs with. Where
// (the JSON tree) and Text (the text syntax) are alternatives.
type AudienceRequest struct {
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Dimension   string          `json:"dimension,omitempty"`
	Where       json.RawMessage `json:"where,omitempty"`
	Text        string          `json:"text,omitempty"`
	Params      map[string]any  `json:"params,omitempty"`
	Now         time.Time       `json:"now,omitzero"`
	TimeZone    string          `json:"timezone,omitempty"`
	Breakdown   string          `json:"breakdown,omitempty"`
	Top         int             `json:"top,omitempty"`
	Sample      int             `json:"sample,omitempty"`
	Attributes  []string        `json:"attributes,omitempty"`
}

// Query turns the request into an audience query; the dimension defaults to
// the model's only targeting dimension.
func (r *AudienceRequest) Query(ctx context.Context, st *store.Store) (*audience.Query, error) {
	q := &audience.Query{Dimension: r.Dimension, Params: r.Params, Now: r.Now, TimeZone: r.TimeZone}
	switch {
	case r.Text != "" && len(r.Where) > 0:
		return nil, errBadRequest("give the query as where (JSON) or as text, not both")
	case r.Text != "":
		n, err := audience.ParseText(r.Text)
		if err != nil {
			return nil, err
		}
		q.Where = n
	case len(r.Where) > 0:
		n, err := audience.ParseJSON(r.Where)
		if err != nil {
			return nil, errBadRequest("where: " + err.Error())
		}
		q.Where = n
	default:
		q.Where = &audience.Node{And: []*audience.Node{}}
	}
	if q.Dimension == "" {
		m, _, err := schema.Current(ctx, st)
		if err != nil {
			return nil, err
		}
		var dims []string
		for _, e := range m.Entities {
			if e.Targeting != nil {
				dims = append(dims, e.Name)
			}
		}
		if len(dims) != 1 {
			return nil, errBadRequest("dimension is required (targeting dimensions: " + strings.Join(dims, ", ") + ")")
		}
		q.Dimension = dims[0]
	}
	return q, nil
}

func (s *Server) audiences() *audience.Service { return &audience.Service{Store: s.store} }

func readAudienceRequest(r *http.Request) (*AudienceRequest, error) {
	var req AudienceRequest
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxQueryBytes))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		return nil, errBadBody("request", err)
	}
	return &req, nil
}

// queryFromRequest reads the body and builds the query.
func (s *Server) queryFromRequest(r *http.Request) (*AudienceRequest, *audience.Query, error) {
	req, err := readAudienceRequest(r)
	if err != nil {
		return nil, nil, err
	}
	q, err := req.Query(r.Context(), s.store)
	return req, q, err
}

func (s *Server) countAudience(w http.ResponseWriter, r *http.Request) {
	req, q, err := s.queryFromRequest(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.audiences().Run(r.Context(), audience.CountRequest{Query: *q, Breakdown: req.Breakdown, Top: req.Top, Sample: req.Sample, Attributes: req.Attributes})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// ValidateQueryResponse answers a valid query with its two forms.
type ValidateQueryResponse struct {
	Valid     bool           `json:"valid"`
	Dimension string         `json:"dimension"`
	Where     *audience.Node `json:"where"`
	Text      string         `json:"text"`
}

func (s *Server) validateAudience(w http.ResponseWriter, r *http.Request) {
	_, q, err := s.queryFromRequest(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, _, err := s.audiences().Prepare(r.Context(), q); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ValidateQueryResponse{Valid: true, Dimension: q.Dimension, Where: q.Where, Text: audience.FormatText(q.Where)})
}

func (s *Server) listAudiences(w http.ResponseWriter, r *http.Request) {
	list, err := s.audiences().List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"audiences": list})
}

func (s *Server) saveAudience(w http.ResponseWriter, r *http.Request) {
	req, q, err := s.queryFromRequest(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Name == "" {
		s.fail(w, r, errBadRequest("name is required"))
		return
	}
	a, err := s.audiences().Save(r.Context(), req.Name, req.Description, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) getAudience(w http.ResponseWriter, r *http.Request) {
	a, err := s.audiences().Get(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) audienceVersions(w http.ResponseWriter, r *http.Request) {
	vs, err := s.audiences().Versions(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
}

func (s *Server) refreshAudience(w http.ResponseWriter, r *http.Request) {
	a, err := s.audiences().Refresh(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) appendAudience(w http.ResponseWriter, r *http.Request) {
	_, q, err := s.queryFromRequest(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.audiences().Append(r.Context(), r.PathValue("name"), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) deleteAudience(w http.ResponseWriter, r *http.Request) {
	if err := s.audiences().Delete(r.Context(), r.PathValue("name")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// exportAudience streams a saved audience's members as CSV or NDJSON.
func (s *Server) exportAudience(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "csv"
	}
	var version int64
	if v := q.Get("version"); v != "" {
		var err error
		if version, err = strconv.ParseInt(v, 10, 64); err != nil {
			s.fail(w, r, errBadRequest("version must be an integer"))
			return
		}
	}
	var attrs []string
	if a := q.Get("attributes"); a != "" {
		attrs = strings.Split(a, ",")
	}
	name := r.PathValue("name")
	if _, err := s.audiences().Get(r.Context(), name); err != nil {
		s.fail(w, r, err)
		return
	}
	ctype := "text/csv; charset=utf-8"
	if format == "ndjson" {
		ctype = "application/x-ndjson"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"."+format+`"`)
	cw := &countingWriter{w: w}
	if _, err := s.audiences().Export(r.Context(), name, version, attrs, format, cw); err != nil {
		if cw.n == 0 {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Del("Content-Disposition")
			s.fail(w, r, err)
			return
		}
		// The body has started: all we can do is cut it short and log.
		s.log.Error("export cut short", "audience", name, "err", err)
	}
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// deleteAudienceVersion drops an old version of a saved audience.
func (s *Server) deleteAudienceVersion(w http.ResponseWriter, r *http.Request) {
	v, err := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if err != nil {
		s.fail(w, r, errBadRequest("version must be an integer"))
		return
	}
	if err := s.audiences().DeleteVersion(r.Context(), r.PathValue("name"), v); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

package api

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// maxQueryBytes bounds an audience request (10 000 values of an in-list fit).
const maxQueryBytes = 8 << 20

var readAudienceRequest = jsonBody[service.AudienceRequest]("request", maxQueryBytes, bodyOptional|bodyStrict)

func (s *Server) countAudience() http.HandlerFunc {
	return handle(s, readAudienceRequest, s.svc.AudienceCount, http.StatusOK)
}

func (s *Server) validateAudience() http.HandlerFunc {
	return handle(s, readAudienceRequest, s.svc.AudienceValidate, http.StatusOK)
}

func (s *Server) listAudiences() http.HandlerFunc {
	return handle(s, noRequest, func(ctx context.Context, _ none) (any, error) {
		list, err := s.svc.Audiences(ctx)
		return map[string]any{"audiences": list}, err
	}, http.StatusOK)
}

func (s *Server) saveAudience() http.HandlerFunc {
	return handle(s, readAudienceRequest, s.svc.AudienceSave, http.StatusCreated)
}

func (s *Server) getAudience() http.HandlerFunc {
	return handle(s, pathName, s.svc.Audience, http.StatusOK)
}

func (s *Server) audienceVersions() http.HandlerFunc {
	return handle(s, pathName, func(ctx context.Context, name string) (any, error) {
		vs, err := s.svc.AudienceVersions(ctx, name)
		return map[string]any{"versions": vs}, err
	}, http.StatusOK)
}

func (s *Server) refreshAudience() http.HandlerFunc {
	return handle(s, pathName, s.svc.AudienceRefresh, http.StatusOK)
}

// appendRequest is a query whose rows go into a saved audience.
type appendRequest struct {
	name string
	req  service.AudienceRequest
}

func (s *Server) appendAudience() http.HandlerFunc {
	decode := func(r *http.Request) (appendRequest, error) {
		req, err := readAudienceRequest(r)
		return appendRequest{r.PathValue("name"), req}, err
	}
	return handle(s, decode, func(ctx context.Context, a appendRequest) (*audience.Audience, error) {
		return s.svc.AudienceAppend(ctx, a.name, a.req)
	}, http.StatusOK)
}

func (s *Server) deleteAudience() http.HandlerFunc {
	return handle(s, pathName, func(ctx context.Context, name string) (none, error) {
		return none{}, s.svc.AudienceDelete(ctx, name)
	}, http.StatusNoContent)
}

// versionRequest names a version of a saved audience or a campaign.
type versionRequest struct {
	name    string
	version int64
}

// pathVersion reads the {name} and {version} path values.
func pathVersion(r *http.Request) (versionRequest, error) {
	v, err := pathInt("version", "version")(r)
	return versionRequest{r.PathValue("name"), v}, err
}

// deleteAudienceVersion drops an old version of a saved audience.
func (s *Server) deleteAudienceVersion() http.HandlerFunc {
	return handle(s, pathVersion, func(ctx context.Context, v versionRequest) (none, error) {
		return none{}, s.svc.AudienceDeleteVersion(ctx, v.name, v.version)
	}, http.StatusNoContent)
}

// exportAudience streams a saved audience's members as CSV or NDJSON;
// its headers are written with the first bytes, so that an error before
// them answers with the one JSON error shape.
func (s *Server) exportAudience(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = audience.FormatCSV
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
	ctype := "text/csv; charset=utf-8"
	if format == audience.FormatNDJSON {
		ctype = "application/x-ndjson"
	}
	cw := &countingWriter{w: w, start: func() {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+"."+format+`"`)
	}}
	if err := s.svc.AudienceExport(r.Context(), name, version, attrs, format, cw); err != nil {
		if cw.n == 0 {
			s.fail(w, r, err)
			return
		}
		// The body has started: all we can do is cut it short and log.
		s.log.Error("export cut short", "audience", name, "err", err)
	}
	if cw.n == 0 {
		cw.start()
	}
}

// countingWriter counts what goes through, calling start before the
// first bytes.
type countingWriter struct {
	w     io.Writer
	n     int64
	start func()
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.n == 0 && c.start != nil {
		c.start()
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

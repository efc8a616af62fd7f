package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/fanfare-dev/fanfare/internal/ingest"
)

// ImportOptionsFromQuery reads import options from URL parameters: format,
// delimiter, timezone, max_errors, orphans.
func importOptions(r *http.Request) (ingest.Options, error) {
	q := r.URL.Query()
	opts := ingest.Options{Format: ingest.Format(q.Get("format")), MaxErrors: -1, Orphans: q.Get("orphans")}
	if d := q.Get("delimiter"); d != "" {
		if d == `\t` || d == "tab" {
			d = "\t"
		}
		if utf8.RuneCountInString(d) != 1 {
			return opts, errBadRequest("delimiter must be one character")
		}
		opts.Delimiter, _ = utf8.DecodeRuneInString(d)
	}
	if tz := q.Get("timezone"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return opts, errBadRequest("unknown time zone " + strconv.Quote(tz))
		}
		opts.TimeZone = loc
	}
	if me := q.Get("max_errors"); me != "" {
		n, err := strconv.Atoi(me)
		if err != nil {
			return opts, errBadRequest("max_errors must be an integer")
		}
		opts.MaxErrors = n
	}
	return opts, nil
}

// createImport receives a file for an entity and answers 202 with the
// running import once the file is whole: the import goes on in the
// background, whether or not the client stays (GET /api/imports/{id}
// follows it).
func (s *Server) createImport(w http.ResponseWriter, r *http.Request) {
	opts, err := importOptions(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "upload.csv"
		if opts.Format != "" {
			name = "upload." + string(opts.Format)
		}
	}
	job, err := s.svc.ImportStart(r.Context(), r.URL.Query().Get("entity"), name, bufio.NewReaderSize(s.uploaded(w, r), 1<<20), opts)
	var inErr *ingest.InputError
	switch {
	case err == nil:
		w.Header().Set("Location", "/api/imports/"+strconv.FormatInt(job.ImportID, 10))
		writeJSON(w, http.StatusAccepted, job)
	case errors.Is(err, ingest.ErrUnknownEntity):
		// The reason lets a client rebuild the very error.
		writeJSON(w, http.StatusBadRequest, ErrorBody{Error: ErrorDetail{Code: "bad_input", Reason: "unknown_entity", Message: err.Error()}})
	case errors.As(err, &inErr):
		writeError(w, http.StatusBadRequest, "bad_input", err.Error(), nil)
	default:
		s.fail(w, r, err)
	}
}

var importID = pathInt("id", "import id")

func (s *Server) getImport() http.HandlerFunc {
	return handle(s, importID, s.svc.ImportStatus, http.StatusOK)
}

// listImports lists the latest imports, newest first.
func (s *Server) listImports() http.HandlerFunc {
	return handle(s, func(r *http.Request) (int, error) { return queryLimit(r, 1000) }, func(ctx context.Context, limit int) (any, error) {
		list, err := s.svc.Imports(ctx, limit)
		return map[string]any{"imports": list}, err
	}, http.StatusOK)
}

// importRejects streams every rejected row as NDJSON.
func (s *Server) importRejects(w http.ResponseWriter, r *http.Request) {
	id, err := importID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	started := false
	err = s.svc.Rejects(r.Context(), id, func(rj ingest.Reject) error {
		if !started {
			w.Header().Set("Content-Type", "application/x-ndjson")
			started = true
		}
		return enc.Encode(rj)
	})
	switch {
	case err != nil && !started:
		s.fail(w, r, err)
		return
	case err != nil:
		s.log.Error("stream rejects", "import", id, "err", err)
	case !started:
		w.Header().Set("Content-Type", "application/x-ndjson")
	}
	_ = bw.Flush()
}

package api

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
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

func (s *Server) createImport(w http.ResponseWriter, r *http.Request) {
	entity := r.URL.Query().Get("entity")
	if entity == "" {
		s.fail(w, r, errBadRequest("the entity parameter is required"))
		return
	}
	opts, err := importOptions(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, _, err := schema.Current(r.Context(), s.store)
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
	opts.Limits = s.limits
	body, format, err := ingest.OpenStream(bufio.NewReaderSize(r.Body, 1<<20), name, opts.Format, opts.Limits)
	if err != nil {
		s.fail(w, r, errBadRequest(err.Error()))
		return
	}
	opts.Format = format
	sum, err := ingest.Import(r.Context(), s.store, m, entity, name, body, opts)
	var inErr *ingest.InputError
	switch {
	case err == nil && sum.Status == ingest.StatusCompletedWithRejects:
		// 207: the good rows loaded, the others did not (see the rejects).
		writeJSON(w, http.StatusMultiStatus, sum)
	case err == nil:
		writeJSON(w, http.StatusOK, sum)
	case errors.Is(err, ingest.ErrNothingLoaded):
		writeError(w, http.StatusUnprocessableEntity, "nothing_loaded", err.Error(), sum)
	case errors.Is(err, ErrSlowClient):
		writeError(w, http.StatusRequestTimeout, "request_timeout", err.Error(), sum)
	case errors.Is(err, ingest.ErrTooManyErrors):
		writeError(w, http.StatusUnprocessableEntity, "too_many_errors", err.Error(), sum)
	case errors.As(err, &inErr), errors.Is(err, ingest.ErrUnknownEntity):
		writeError(w, http.StatusBadRequest, "bad_input", err.Error(), sum)
	default:
		s.fail(w, r, err)
	}
}

func importID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, errBadRequest("import id must be an integer")
	}
	return id, nil
}

func (s *Server) getImport(w http.ResponseWriter, r *http.Request) {
	id, err := importID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sum, err := ingest.Get(r.Context(), s.store, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

// importRejects streams every rejected row as NDJSON.
func (s *Server) importRejects(w http.ResponseWriter, r *http.Request) {
	id, err := importID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := ingest.Get(r.Context(), s.store, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	err = ingest.Rejects(r.Context(), s.store, id, func(rj ingest.Reject) error { return enc.Encode(rj) })
	if err != nil {
		s.log.Error("stream rejects", "import", id, "err", err)
	}
	_ = bw.Flush()
}

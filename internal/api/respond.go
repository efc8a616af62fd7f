package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/message"
	"github.com/fanfare-dev/fanfare/internal/outbound"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// ErrorBody is the one JSON error shape of the API.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes what went wrong.
type ErrorDetail struct {
	Code string `json:"code"`
	// Reason tells apart the errors that share a code (conflict:
	// run_state, not_published, current_key, token_exists…).
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message"`
	// Details carries structured problems: validation problems, the
	// changes a destructive apply would make, an import summary.
	Details any `json:"details,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string, details any) {
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg, Details: details}})
}

// fail maps a domain error to a status and the error shape; anything
// unexpected is logged and answered with a generic 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var verr *datamodel.ValidationError
	var derr *schema.DestructiveError
	var cerr *campaign.ValidationError
	var qerr *audience.ValidationError
	var serr *audience.SyntaxError
	var merr *message.ValidationError
	var rerr *message.RenderError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		tooLarge(w, mbe)
	case errors.As(err, &verr):
		writeError(w, http.StatusBadRequest, "invalid_model", "the data model has problems", verr.Problems)
	case errors.As(err, &cerr):
		writeError(w, http.StatusBadRequest, "invalid_campaign", "the campaign has problems", cerr.Problems)
	case errors.As(err, &merr):
		writeError(w, http.StatusBadRequest, "invalid_content", "the message content has problems", merr.Problems)
	case errors.As(err, &rerr):
		writeError(w, http.StatusUnprocessableEntity, "render_failed", rerr.Error(), RenderFailure{Field: rerr.Field})
	case errors.As(err, &derr):
		writeError(w, http.StatusConflict, "destructive_change", derr.Error(), derr.Changes)
	case errors.As(err, &qerr):
		writeError(w, http.StatusBadRequest, "invalid_query", "the audience query has problems", qerr.Problems)
	case errors.As(err, &serr):
		writeError(w, http.StatusBadRequest, "invalid_query", serr.Error(), []audience.Problem{{Path: "text", Message: serr.Error()}})
	default:
		for _, k := range errorKinds {
			if errors.Is(err, k.Err) {
				writeJSON(w, k.Status, ErrorBody{Error: ErrorDetail{Code: k.Code, Reason: k.Reason, Message: cmp.Or(k.message, err.Error())}})
				return
			}
		}
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, slog.Any("err", err))
		writeError(w, http.StatusInternalServerError, "internal", "internal error; see the server log", nil)
	}
}

// RenderFailure is the detail of a render_failed answer: the field of the
// message whose template failed.
type RenderFailure struct {
	Field string `json:"field"`
}

// ErrorKind is a domain error the API answers with a status and code of
// its own; Reason tells apart the kinds that share a code, so that a
// client rebuilds the very error (see KnownError) and errors.Is holds on
// both sides of the API.
type ErrorKind struct {
	Err          error
	Status       int
	Code, Reason string
	// message, when set, replaces the error's text (which may say more
	// than a client should read).
	message string
}

// errorKinds are the kinds of domain error, tried in order: the first an
// error matches answers it.
var errorKinds = []ErrorKind{
	{Err: delivery.ErrInvalidKey, Status: http.StatusBadRequest, Code: "bad_request", Reason: "invalid_key"},
	{Err: channel.ErrAddress, Status: http.StatusBadRequest, Code: "bad_request", Reason: "invalid_address"},
	{Err: channel.ErrChannel, Status: http.StatusBadRequest, Code: "bad_request", Reason: "unknown_channel"},
	{Err: engine.ErrDecision, Status: http.StatusBadRequest, Code: "bad_request", Reason: "invalid_decision"},
	{Err: delivery.ErrNoProvider, Status: http.StatusServiceUnavailable, Code: "no_provider"},
	{Err: engine.ErrRunState, Status: http.StatusConflict, Code: "conflict", Reason: "run_state"},
	{Err: engine.ErrNotPublished, Status: http.StatusConflict, Code: "conflict", Reason: "not_published"},
	{Err: engine.ErrArchived, Status: http.StatusConflict, Code: "conflict", Reason: "archived"},
	{Err: engine.ErrHasRuns, Status: http.StatusConflict, Code: "conflict", Reason: "has_runs"},
	{Err: engine.ErrStaleDraft, Status: http.StatusConflict, Code: "conflict", Reason: "stale_draft"},
	{Err: engine.ErrInvalidName, Status: http.StatusBadRequest, Code: "bad_request", Reason: "invalid_name"},
	{Err: engine.ErrInvalidDraft, Status: http.StatusBadRequest, Code: "bad_request", Reason: "invalid_draft"},
	{Err: keyring.ErrTokenName, Status: http.StatusBadRequest, Code: "bad_request", Reason: "token_name"},
	{Err: keyring.ErrCurrentKey, Status: http.StatusConflict, Code: "conflict", Reason: "current_key"},
	{Err: keyring.ErrTokenExists, Status: http.StatusConflict, Code: "conflict", Reason: "token_exists"},
	{Err: schema.ErrConcurrentChange, Status: http.StatusConflict, Code: "conflict", Reason: "concurrent_model_change"},
	{Err: audience.ErrInvalidRequest, Status: http.StatusBadRequest, Code: "bad_request", Reason: "invalid_request"},
	{Err: audience.ErrExists, Status: http.StatusConflict, Code: "exists", Reason: "audience_exists"},
	{Err: audience.ErrCurrentVersion, Status: http.StatusConflict, Code: "exists", Reason: "current_version"},
	{Err: audience.ErrConcurrentChange, Status: http.StatusConflict, Code: "exists", Reason: "concurrent_change"},
	{Err: outbound.ErrUnknownDestination, Status: http.StatusBadRequest, Code: "bad_request", Reason: "unknown_destination"},
	{Err: outbound.ErrUnknownDeadLetter, Status: http.StatusNotFound, Code: "not_found", Reason: "dead_letter"},
	{Err: outbound.ErrDeliveryFailed, Status: http.StatusBadGateway, Code: "delivery_failed"},
	{Err: outbound.ErrNotConfigured, Status: http.StatusServiceUnavailable, Code: "no_outbound"},
	{Err: ErrSlowClient, Status: http.StatusRequestTimeout, Code: "request_timeout"},
	{Err: context.DeadlineExceeded, Status: http.StatusGatewayTimeout, Code: "timeout", message: "the query ran out of time"},
	{Err: context.Canceled, Status: 499, Code: "canceled", message: "the request was canceled"},
	{Err: service.ErrLimit, Status: http.StatusBadRequest, Code: "bad_request", Reason: "limit"},
	{Err: service.ErrNotFound, Status: http.StatusNotFound, Code: "not_found"},
	{Err: service.ErrBadRequest, Status: http.StatusBadRequest, Code: "bad_request"},
}

// ErrorKinds returns the kinds of domain error the API answers with a code
// (and reason) of their own.
func ErrorKinds() []ErrorKind { return slices.Clone(errorKinds) }

// KnownError returns the domain error an error answer names by its code
// and reason, nil for none: what a client gives its caller to match with
// errors.Is.
func KnownError(code, reason string) error {
	for _, k := range errorKinds {
		if k.Code == code && k.Reason == reason {
			return k.Err
		}
	}
	return nil
}

// errBadRequest is an error in the request itself, safe to show the
// client.
func errBadRequest(msg string) error { return service.BadRequest(msg) }

// errBadBody is a request body that could not be read as the what it
// should be (a body over its limit answers 413).
func errBadBody(what string, err error) error {
	return &service.BadRequestError{Msg: "read the " + what + ": " + err.Error(), Err: err}
}

// tooLarge answers a body over its limit, naming the limit.
func tooLarge(w http.ResponseWriter, mbe *http.MaxBytesError) {
	writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the request body is larger than this endpoint's limit of "+sizeText(mbe.Limit), map[string]int64{"limit_bytes": mbe.Limit})
}

// sizeText writes a size in the largest binary unit that divides it.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// uploaded is an uploaded file's body, capped at the server's upload
// limit: past it, reading fails with an error that names the limit (and
// is an *http.MaxBytesError, answered 413).
func (s *Server) uploaded(w http.ResponseWriter, r *http.Request) io.Reader {
	return uploadReader{http.MaxBytesReader(w, r.Body, s.maxUpload)}
}

type uploadReader struct{ r io.Reader }

func (u uploadReader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		err = fmt.Errorf("the file is larger than the upload limit of %s (fanfare serve --max-upload): %w", sizeText(mbe.Limit), err)
	}
	return n, err
}

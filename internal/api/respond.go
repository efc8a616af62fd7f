package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/message"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ErrorBody is the one JSON error shape of the API.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes what went wrong.
type ErrorDetail struct {
	Code    string `json:"code"`
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
		writeError(w, http.StatusUnprocessableEntity, "render_failed", rerr.Error(), nil)
	case errors.Is(err, delivery.ErrInvalidKey), errors.Is(err, channel.ErrAddress), errors.Is(err, channel.ErrChannel), errors.Is(err, engine.ErrDecision):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error(), nil)
	case errors.Is(err, delivery.ErrNoProvider):
		writeError(w, http.StatusServiceUnavailable, "no_provider", err.Error(), nil)
	case errors.Is(err, engine.ErrRunState), errors.Is(err, engine.ErrNotPublished):
		writeError(w, http.StatusConflict, "conflict", err.Error(), nil)
	case errors.As(err, &derr):
		writeError(w, http.StatusConflict, "destructive_change", derr.Error(), derr.Changes)
	case errors.As(err, &qerr):
		writeError(w, http.StatusBadRequest, "invalid_query", "the audience query has problems", qerr.Problems)
	case errors.As(err, &serr):
		writeError(w, http.StatusBadRequest, "invalid_query", serr.Error(), []audience.Problem{{Path: "text", Message: serr.Error()}})
	case errors.Is(err, keyring.ErrTokenName):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error(), nil)
	case errors.Is(err, keyring.ErrCurrentKey), errors.Is(err, keyring.ErrTokenExists):
		writeError(w, http.StatusConflict, "conflict", err.Error(), nil)
	case errors.Is(err, audience.ErrInvalidRequest):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error(), nil)
	case errors.Is(err, audience.ErrExists), errors.Is(err, audience.ErrCurrentVersion), errors.Is(err, audience.ErrConcurrentChange):
		writeError(w, http.StatusConflict, "exists", err.Error(), nil)
	case errors.Is(err, ErrSlowClient):
		writeError(w, http.StatusRequestTimeout, "request_timeout", err.Error(), nil)
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, "timeout", "the query ran out of time", nil)
	case errors.Is(err, context.Canceled):
		writeError(w, 499, "canceled", "the request was canceled", nil)
	case errors.Is(err, store.ErrLimit):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error(), nil)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error(), nil)
	case errors.As(err, new(*badRequest)):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error(), nil)
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, slog.Any("err", err))
		writeError(w, http.StatusInternalServerError, "internal", "internal error; see the server log", nil)
	}
}

// badRequest is an error in the request itself, safe to show the client;
// err, when set, is why (a body over its limit answers 413).
type badRequest struct {
	msg string
	err error
}

func (e *badRequest) Error() string { return e.msg }
func (e *badRequest) Unwrap() error { return e.err }

func errBadRequest(msg string) error { return &badRequest{msg: msg} }

// errBadBody is a request body that could not be read as the what it
// should be.
func errBadBody(what string, err error) error {
	return &badRequest{msg: "read the " + what + ": " + err.Error(), err: err}
}

// tooLarge answers a body over its limit, naming the limit.
func tooLarge(w http.ResponseWriter, mbe *http.MaxBytesError) {
	limit := fmt.Sprintf("%d bytes", mbe.Limit)
	switch {
	case mbe.Limit >= 1<<20 && mbe.Limit%(1<<20) == 0:
		limit = fmt.Sprintf("%d MiB", mbe.Limit>>20)
	case mbe.Limit >= 1<<10 && mbe.Limit%(1<<10) == 0:
		limit = fmt.Sprintf("%d KiB", mbe.Limit>>10)
	}
	writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the request body is larger than this endpoint's limit of "+limit, map[string]int64{"limit_bytes": mbe.Limit})
}

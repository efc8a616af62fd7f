package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/fanfare-dev/fanfare/internal/delivery"
)

// messagesRequest pages through the sandbox's messages.
type messagesRequest struct {
	run   int64
	limit int
}

// listMessages lists what the sandbox captured (optionally of one run).
func (s *Server) listMessages() http.HandlerFunc {
	decode := func(r *http.Request) (messagesRequest, error) {
		run, _ := strconv.ParseInt(r.URL.Query().Get("run"), 10, 64)
		limit, err := queryLimit(r, delivery.MaxMessagesPage)
		return messagesRequest{run, limit}, err
	}
	return handle(s, decode, func(ctx context.Context, req messagesRequest) (any, error) {
		list, err := s.svc.Messages(ctx, req.run, req.limit)
		return map[string]any{"messages": list}, err
	}, http.StatusOK)
}

// queryLimit reads the limit parameter: absent is 0 (the default), else
// at least 1 (the operation bounds it; the error names most).
func queryLimit(r *http.Request, most int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errBadRequest(fmt.Sprintf("limit %q: want 1 to %d", v, most))
	}
	return n, nil
}

func (s *Server) getMessage() http.HandlerFunc {
	return handle(s, func(r *http.Request) (string, error) { return r.PathValue("id"), nil }, s.svc.Message, http.StatusOK)
}

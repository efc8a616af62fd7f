package api

import (
	"context"
	"fmt"
	"io"
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

// messageCSP is the policy a kept email's HTML is served with: nothing it
// holds may run or fetch anything (no script, no remote image or font, no
// form), so that reading it in the console fires no open pixel; images
// inlined as data: URLs show, and so does its inline CSS, without which
// no email looks as sent.
const messageCSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

// messageRemoteImagesCSP is the policy of the same HTML when the reader
// asked, with a click, for its remote images (?images=remote): they load,
// and may tell the sender the email was opened; still no script, font or
// form.
const messageRemoteImagesCSP = "default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline'"

// messageHTML serves the HTML part of an email the sandbox kept, for the
// console to show in a sandboxed frame; with images=remote its policy lets
// remote images load.
func (s *Server) messageHTML(w http.ResponseWriter, r *http.Request) {
	csp := messageCSP
	switch v := r.URL.Query().Get("images"); v {
	case "", "none":
	case "remote":
		csp = messageRemoteImagesCSP
	default:
		s.fail(w, r, errBadRequest(fmt.Sprintf("images %q: want none or remote", v)))
		return
	}
	html, err := s.svc.MessageHTML(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "private, no-store")
	_, _ = io.WriteString(w, html)
}

package api

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
)

// pixel is a transparent 1×1 GIF.
var pixel = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// hit is the fetch of a tracking link or pixel: when, how, and from which
// address and user agent (classification only: they are kept only when
// the operator says so).
func (s *Server) hit(r *http.Request) delivery.Hit {
	h := delivery.Hit{At: time.Now(), Method: r.Method, UserAgent: r.UserAgent()}
	addr := r.RemoteAddr
	if s.trustForwarded {
		// The reverse proxy in front appends the address it was reached
		// from: the last one is the only one it vouches for.
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			addr = strings.TrimSpace(parts[len(parts)-1])
		}
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	h.IP, _ = netip.ParseAddr(addr)
	return h
}

// trackClick records a click and redirects to the link's destination: the
// URL the message was rendered with, sealed in the token, never one the
// request names — no open redirect.
func (s *Server) trackClick(w http.ResponseWriter, r *http.Request) {
	s.click(w, r, r.PathValue("token"))
}

func (s *Server) click(w http.ResponseWriter, r *http.Request, token string) {
	t, err := s.svc.TrackHit(r.Context(), token, s.hit(r))
	if err != nil {
		if !errors.Is(err, delivery.ErrBadLink) {
			s.log.Error("check tracking link", "err", err)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("This link is not valid (it was altered, or is too old).\n"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, t.URL, http.StatusFound)
}

// trackOpen records an open and answers the pixel, whatever the token: a
// broken image helps no one.
func (s *Server) trackOpen(w http.ResponseWriter, r *http.Request) {
	s.open(w, r, r.PathValue("token"))
}

func (s *Server) open(w http.ResponseWriter, r *http.Request, token string) {
	if _, err := s.svc.TrackHit(r.Context(), token, s.hit(r)); err != nil && !errors.Is(err, delivery.ErrBadLink) {
		s.log.Error("check tracking pixel", "err", err)
	}
	w.Header().Set("Content-Type", "image/gif")
	w.Header().Set("Cache-Control", "no-store, max-age=0")
	_, _ = w.Write(pixel)
}

// Patterns of the tracking routes, as the mux names them (routes.go).
const (
	openPattern  = "GET /t/o/{token}"
	clickPattern = "GET /t/c/{token}"
)

// trackRoute finds a request for one of the two tracking routes without
// the mux — whose search of some hundred patterns is a measurable share
// of a hit, thousands a second — and returns its handler, its pattern
// and its token. Anything else, or a token the mux would treat otherwise
// (empty, holding a slash), goes to the mux, which has the same routes.
func (s *Server) trackRoute(r *http.Request) (func(http.ResponseWriter, *http.Request, string), string, string, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil, "", "", false
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/t/")
	if !ok || len(rest) < 3 || rest[1] != '/' {
		return nil, "", "", false
	}
	token := rest[2:]
	if strings.IndexByte(token, '/') >= 0 {
		return nil, "", "", false
	}
	switch rest[0] {
	case 'o':
		return s.open, openPattern, token, true
	case 'c':
		return s.click, clickPattern, token, true
	}
	return nil, "", "", false
}

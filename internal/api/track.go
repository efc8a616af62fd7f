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
	t, err := s.svc.TrackHit(r.Context(), r.PathValue("token"), s.hit(r))
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
	if _, err := s.svc.TrackHit(r.Context(), r.PathValue("token"), s.hit(r)); err != nil && !errors.Is(err, delivery.ErrBadLink) {
		s.log.Error("check tracking pixel", "err", err)
	}
	w.Header().Set("Content-Type", "image/gif")
	w.Header().Set("Cache-Control", "no-store, max-age=0")
	_, _ = w.Write(pixel)
}

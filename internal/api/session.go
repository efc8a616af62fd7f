package api

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/service"
)

// SessionCookie names the console's session cookie.
const SessionCookie = "fanfare_session"

// The console signs in once with an API token (POST /api/session) and
// then holds a session cookie, HttpOnly (no script reads it) and
// SameSite=Lax; every /api/ operation takes it as it takes a bearer
// token. A cookie goes with every request the browser makes to this
// server, whichever page asks, so an unsafe request (POST, PUT, DELETE)
// that comes with the cookie must come from the console's own origin:
// http.CrossOriginProtection refuses the others (403). A bearer token is
// bound to no browser, so a request with one needs no such check.

// origins builds the cross-origin check: the server's own origin (the
// request's Host) and the public URL's, when it has one.
func origins(publicURL string) *http.CrossOriginProtection {
	c := http.NewCrossOriginProtection()
	if u, err := url.Parse(publicURL); err == nil && u.Scheme != "" && u.Host != "" {
		_ = c.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
	return c
}

// withSession serves h for the session a cookie names, its subject the
// request's actor: 401 when the cookie names no session in use, 403 for
// an unsafe request from another origin.
func (s *Server) withSession(w http.ResponseWriter, r *http.Request, cookie string, h http.HandlerFunc) {
	if err := s.origins.Check(r); err != nil {
		crossOrigin(w)
		return
	}
	sess, err := s.svc.Session(r.Context(), cookie)
	if errors.Is(err, service.ErrNoSession) {
		s.noSession(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	actor, err := audit.Parse(sess.Subject)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h(w, r.WithContext(audit.WithActor(r.Context(), actor)))
}

// signIn opens a session for the holder of an API token and sets its
// cookie. A token unknown or revoked answers the same 401, with no
// cookie. The check of origin refuses a page of another site signing the
// browser in with a token of its choosing.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	if err := s.origins.Check(r); err != nil {
		crossOrigin(w)
		return
	}
	req, err := jsonBody[service.SignInRequest]("sign-in request", 1<<16, 0)(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cookie, sess, err := s.svc.SignIn(r.Context(), req)
	if errors.Is(err, service.ErrSignIn) {
		writeError(w, http.StatusUnauthorized, "unauthorized", "not a valid API token", nil)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The session this browser held before, if any, ends with the new one.
	if old, err := r.Cookie(SessionCookie); err == nil {
		_ = s.svc.SignOut(r.Context(), old.Value)
	}
	s.setCookie(w, r, cookie, sess.MaxExpiresAt)
	writeJSON(w, http.StatusOK, sess)
}

// getSession answers the session the request's cookie names.
func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "unauthorized", "not signed in", nil)
		return
	}
	sess, err := s.svc.Session(r.Context(), c.Value)
	if errors.Is(err, service.ErrNoSession) {
		s.noSession(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sess)
}

// signOut ends the request's session, on every node, and clears its
// cookie; signed out already, it only clears the cookie.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if err := s.origins.Check(r); err != nil {
		crossOrigin(w)
		return
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := s.svc.SignOut(r.Context(), c.Value); err != nil && !errors.Is(err, service.ErrNoSession) {
			s.fail(w, r, err)
			return
		}
	}
	s.setCookie(w, r, "", time.Time{})
	w.WriteHeader(http.StatusNoContent)
}

// setCookie sets the session cookie until expires, or clears it (value
// ""). It is Secure when the browser reaches the server over TLS: the
// request came over TLS, or the public URL is https (a proxy ends TLS).
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, value string, expires time.Time) {
	c := &http.Cookie{Name: SessionCookie, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || strings.HasPrefix(strings.ToLower(s.publicURL), "https://")}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires.UTC()
	}
	http.SetCookie(w, c)
}

// noSession answers a cookie that names no session in use, clearing it.
func (s *Server) noSession(w http.ResponseWriter, r *http.Request) {
	s.setCookie(w, r, "", time.Time{})
	writeError(w, http.StatusUnauthorized, "unauthorized", "the session has ended: sign in again", nil)
}

// crossOrigin refuses an unsafe request with the session cookie from
// another origin.
func crossOrigin(w http.ResponseWriter) {
	writeError(w, http.StatusForbidden, "forbidden", "a cross-origin request with the session cookie is refused", nil)
}

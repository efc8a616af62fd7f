package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/channel/sms"
)

// smsStatus records an SMS provider's status callback. The request must
// carry a valid X-Twilio-Signature made with the account's auth token.
func (s *Server) smsStatus(w http.ResponseWriter, r *http.Request) {
	if s.smsToken == "" {
		writeError(w, http.StatusNotFound, "not_found", "no SMS provider is configured", nil)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, errBadRequest("read the callback: "+err.Error()))
		return
	}
	if !s.smsSigned(r) {
		writeError(w, http.StatusForbidden, "forbidden", "the callback's signature is not valid", nil)
		return
	}
	u, err := sms.ParseStatusCallback(r)
	if err != nil {
		s.fail(w, r, errBadRequest(err.Error()))
		return
	}
	if err := s.svc.SMSStatus(r.Context(), u); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// smsSigned checks a status callback's signature. The provider signs the
// address it was told to call: the configured status callback URL (the
// SMS provider's StatusCallback) with the query sms.CallbackURL added,
// which may name another host or path prefix than this server sees
// behind a proxy. The public URL followed by the request's path is
// accepted too, for a server configured without the callback URL.
func (s *Server) smsSigned(r *http.Request) bool {
	sig := r.Header.Get("X-Twilio-Signature")
	if s.smsCallback != "" {
		if u, err := url.Parse(s.smsCallback); err == nil {
			u.RawQuery = r.URL.RawQuery
			if sms.ValidateSignature(s.smsToken, u.String(), r.PostForm, sig) {
				return true
			}
		}
	}
	return sms.ValidateSignature(s.smsToken, strings.TrimRight(s.publicURL, "/")+r.URL.RequestURI(), r.PostForm, sig)
}

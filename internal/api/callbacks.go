package api

import (
	"net/http"
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
	url := strings.TrimRight(s.publicURL, "/") + r.URL.RequestURI()
	if !sms.ValidateSignature(s.smsToken, url, r.PostForm, r.Header.Get("X-Twilio-Signature")) {
		writeError(w, http.StatusForbidden, "forbidden", "the callback's signature is not valid", nil)
		return
	}
	u, err := sms.ParseStatusCallback(r)
	if err != nil {
		s.fail(w, r, errBadRequest(err.Error()))
		return
	}
	var code any
	if u.ErrorCode != "" {
		code = u.ErrorCode
	}
	// The message's own id, when the callback address carries it, finds
	// the row by key; the provider's id alone means a scan on the
	// embedded store.
	q, args := `UPDATE ff_outbox SET delivery_status = $1, delivery_error = $2 WHERE channel = 'sms' AND provider_id = $3`, []any{u.Status, code, u.MessageSID}
	if u.MessageID != "" {
		q, args = q+` AND message_id = $4`, append(args, u.MessageID)
	}
	if _, err := s.store.DB.ExecContext(r.Context(), q, args...); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

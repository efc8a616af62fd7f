package api

import (
	"fmt"
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
	var code any
	if u.ErrorCode != "" {
		code = u.ErrorCode
	}
	// The message's own id, when the callback address carries it, finds
	// the row by key on PostgreSQL; on the embedded store, whose outbox
	// has no key, its row's number does (a range of seq is one row group:
	// 4–9 ms instead of 15–70 by id and 175 by the provider's id alone,
	// measured on a 1M-row outbox). Each must still match.
	// TODO(outbox): the outbox's own operation (store.Outbox), not SQL here.
	q, args := `UPDATE ff_outbox SET delivery_status = $1, delivery_error = $2 WHERE channel = 'sms' AND provider_id = $3`, []any{u.Status, code, u.MessageSID}
	if !sms.Final(u.Status) {
		// Callbacks may come out of order: an interim status never
		// replaces a final one.
		q += ` AND (delivery_status IS NULL OR delivery_status IN ('queued', 'sending', 'sent', 'accepted', 'scheduled'))`
	}
	if u.MessageID != "" {
		args = append(args, u.MessageID)
		q += fmt.Sprintf(` AND message_id = $%d`, len(args))
	}
	if u.Seq > 0 {
		args = append(args, u.Seq)
		q += fmt.Sprintf(` AND seq = $%d`, len(args))
	}
	if _, err := s.store.DB.ExecContext(r.Context(), q, args...); err != nil {
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

package sms

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzParseStatusCallback feeds arbitrary bodies: parsing never panics and
// what it accepts is a well-formed update.
func FuzzParseStatusCallback(f *testing.F) {
	f.Add("MessageSid=SM1&MessageStatus=delivered")
	f.Add("MessageSid=SM1&MessageStatus=failed&ErrorCode=30008")
	f.Add("MessageSid=%zz&MessageStatus=")
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/hooks/sms", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		u, err := ParseStatusCallback(r)
		if err != nil {
			return
		}
		if u.MessageSID == "" || !isAlnum(u.MessageSID) || !knownStatus[u.Status] || !isAlnum(u.ErrorCode) {
			t.Errorf("accepted %+v", u)
		}
	})
}

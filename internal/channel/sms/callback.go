package sms

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// maxCallback bounds a status callback's body.
const maxCallback = 64 << 10

// Message statuses the API reports.
const (
	StatusQueued      = "queued"
	StatusSending     = "sending"
	StatusSent        = "sent"
	StatusDelivered   = "delivered"
	StatusUndelivered = "undelivered"
	StatusFailed      = "failed"
)

var knownStatus = map[string]bool{
	StatusQueued: true, StatusSending: true, StatusSent: true,
	StatusDelivered: true, StatusUndelivered: true, StatusFailed: true,
	"accepted": true, "scheduled": true, "canceled": true, "read": true,
}

// Final tells whether a status is a message's last word: the API's
// callbacks may arrive out of order, and a later "sent" must not undo a
// "delivered".
func Final(status string) bool {
	switch status {
	case StatusDelivered, StatusUndelivered, StatusFailed, "canceled", "read":
		return true
	}
	return false
}

// ErrCallback is wrapped by every status callback parsing failure.
var ErrCallback = errors.New("invalid status callback")

// StatusUpdate is one delivery status the API reported for a message.
type StatusUpdate struct {
	// MessageSID is the message's Result.ProviderID.
	MessageSID string
	// MessageID is Fanfare's id of the message, and Seq its outbox row's
	// number, which CallbackURL put in the callback's address ("" and 0
	// for an address without them).
	MessageID string
	Seq       int64
	Status    string
	// ErrorCode is the API's error code for undelivered and failed
	// messages, or empty.
	ErrorCode string
}

// ParseStatusCallback parses the form the API posts to StatusCallback. It
// does not authenticate the request: check ValidateSignature first.
func ParseStatusCallback(r *http.Request) (StatusUpdate, error) {
	if r.Method != http.MethodPost {
		return StatusUpdate{}, fmt.Errorf("%w: method %s", ErrCallback, r.Method)
	}
	if r.Body != nil {
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(r.Body, maxCallback), r.Body}
	}
	if err := r.ParseForm(); err != nil {
		return StatusUpdate{}, fmt.Errorf("%w: %w", ErrCallback, err)
	}
	u := StatusUpdate{
		MessageID:  r.URL.Query().Get(messageParam),
		MessageSID: r.PostForm.Get("MessageSid"),
		Status:     r.PostForm.Get("MessageStatus"),
		ErrorCode:  r.PostForm.Get("ErrorCode"),
	}
	if u.MessageSID == "" || len(u.MessageSID) > 64 || !isAlnum(u.MessageSID) {
		return StatusUpdate{}, fmt.Errorf("%w: MessageSid missing or malformed", ErrCallback)
	}
	if len(u.MessageID) > 1024 || strings.ContainsFunc(u.MessageID, unicode.IsControl) {
		return StatusUpdate{}, fmt.Errorf("%w: malformed message id", ErrCallback)
	}
	if v := r.URL.Query().Get(seqParam); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return StatusUpdate{}, fmt.Errorf("%w: malformed %s %q", ErrCallback, seqParam, v)
		}
		u.Seq = n
	}
	if !knownStatus[u.Status] {
		return StatusUpdate{}, fmt.Errorf("%w: unknown MessageStatus %q", ErrCallback, u.Status)
	}
	if len(u.ErrorCode) > 16 || !isAlnum(u.ErrorCode) {
		return StatusUpdate{}, fmt.Errorf("%w: malformed ErrorCode", ErrCallback)
	}
	return u, nil
}

// Signature computes the API's X-Twilio-Signature for a POST to fullURL
// with form: the base64 HMAC-SHA1, keyed by the auth token, of the URL
// followed by each form key and value, sorted by key.
func Signature(authToken, fullURL string, form url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	io.WriteString(mac, fullURL)
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		values := slices.Clone(form[k])
		slices.Sort(values)
		for _, v := range values {
			io.WriteString(mac, k)
			io.WriteString(mac, v)
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ValidateSignature reports whether signature is the X-Twilio-Signature of
// a POST to fullURL (as the API was configured to call it, query included)
// with form. It compares in constant time.
func ValidateSignature(authToken, fullURL string, form url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	return hmac.Equal([]byte(Signature(authToken, fullURL, form)), []byte(signature))
}

// messageParam and seqParam are the query parameters of a status
// callback's address that name the message and its outbox row's number.
const (
	messageParam = "message"
	seqParam     = "seq"
)

// CallbackURL is the status callback address of one message: base with
// the message's id (and its row's number, when it has one) added to its
// query, so that the callback names the outbox row directly (the request's
// signature covers the address).
func CallbackURL(base, messageID string, seq int64) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	q.Set(messageParam, messageID)
	if seq > 0 {
		q.Set(seqParam, strconv.FormatInt(seq, 10))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// What a final status callback says of a message, by Receipt.
const (
	// ReceiptDelivered: the handset received it.
	ReceiptDelivered = "delivered"
	// ReceiptDead: the number can never receive SMS (it does not exist,
	// or is a landline): a hard bounce.
	ReceiptDead = "dead"
	// ReceiptUnreachable: the handset could not be reached this time (off,
	// out of coverage, an unknown error): a soft bounce.
	ReceiptUnreachable = "unreachable"
	// ReceiptRefused: the message itself was refused (a carrier's filter,
	// a blocked sender, the account's limits), not the number.
	ReceiptRefused = "refused"
)

// deadReceipt are the error codes of a delivery receipt that mean the
// number can never receive SMS, besides those the API answers when a
// message is created (deadNumber).
var deadReceipt = map[string]bool{
	"30005": true, // unknown destination handset
	"30006": true, // landline or unreachable carrier
}

// unreachableReceipt are the error codes of an undelivered message whose
// handset may be reached later.
var unreachableReceipt = map[string]bool{
	"30003": true, // unreachable destination handset
	"30008": true, // unknown error
}

// refusedReceipt are the error codes of a message refused for itself,
// whatever its number.
var refusedReceipt = map[string]bool{
	"30001": true, // queue overflow
	"30002": true, // account suspended
	"30004": true, // message blocked (the recipient blocked the sender)
	"30007": true, // filtered by the carrier
	"30009": true, // a part of the message went missing
	"30010": true, // the price exceeds the one allowed
}

// Receipt says what a final status says of the message: ReceiptDelivered,
// ReceiptDead, ReceiptUnreachable or ReceiptRefused; "" for an interim
// status, one after delivery (read) or a cancelled message. An
// undelivered message with an error code of no known meaning is
// unreachable; a failed one (the API could not send it) refused.
func (u StatusUpdate) Receipt() string {
	code, _ := strconv.Atoi(u.ErrorCode)
	switch {
	case u.Status == StatusDelivered:
		return ReceiptDelivered
	case u.Status != StatusUndelivered && u.Status != StatusFailed:
		return ""
	case deadReceipt[u.ErrorCode] || deadNumber[code]:
		return ReceiptDead
	case refusedReceipt[u.ErrorCode]:
		return ReceiptRefused
	case unreachableReceipt[u.ErrorCode], u.Status == StatusUndelivered:
		return ReceiptUnreachable
	}
	return ReceiptRefused
}

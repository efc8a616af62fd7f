package pushtest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
)

// Reply is a canned answer for one device token.
type Reply struct {
	Status int
	Body   string
	// Hang makes the server read the request and never answer.
	Hang bool
	// Header holds extra response headers (Retry-After).
	Header http.Header
}

// recorder is the channeltest.Inspector part both fakes share.
type recorder struct {
	mu       sync.Mutex
	received []channeltest.Delivery
	offered  []string
	replies  map[string]Reply
	errs     []string
	// accepted counts the messages accepted, kept or not.
	accepted atomic.Int64
	// discard keeps the server from recording what it is offered and
	// accepts, so that a benchmark's memory is the sender's.
	discard atomic.Bool
}

// Discard makes the server keep nothing of the requests it serves but
// their count (Accepted) and the faults it finds (Errors): canned replies
// still apply, Received, Offered and payloads stay empty. Benchmarks
// sending millions of messages use it.
func (r *recorder) Discard() { r.discard.Store(true) }

// Accepted counts the messages accepted, recorded or not.
func (r *recorder) Accepted() int64 { return r.accepted.Load() }

// Received lists the messages accepted.
func (r *recorder) Received() []channeltest.Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]channeltest.Delivery(nil), r.received...)
}

// Offered lists every device token a request was made for.
func (r *recorder) Offered() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.offered...)
}

// SetReply makes the server answer requests for token with rep.
func (r *recorder) SetReply(token string, rep Reply) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.replies == nil {
		r.replies = map[string]Reply{}
	}
	r.replies[token] = rep
}

// Errors lists what the server found wrong in requests.
func (r *recorder) Errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

func (r *recorder) bad(w http.ResponseWriter, status int, body, why string) {
	r.mu.Lock()
	r.errs = append(r.errs, why)
	r.mu.Unlock()
	http.Error(w, body, status)
}

// offer records token and returns its canned reply, if any.
func (r *recorder) offer(token string) (Reply, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.discard.Load() {
		r.offered = append(r.offered, token)
	}
	rep, ok := r.replies[token]
	return rep, ok
}

// accept counts an accepted message and records it unless discarding; it
// reports whether the caller should record the message's details too.
func (r *recorder) accept(id, token string) (record bool) {
	r.accepted.Add(1)
	if r.discard.Load() {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.received = append(r.received, channeltest.Delivery{ID: id, To: token})
	return true
}

// answer writes a canned reply, hanging until the client gives up if
// asked to.
func answer(w http.ResponseWriter, req *http.Request, rep Reply) {
	if rep.Hang {
		<-req.Context().Done()
		return
	}
	for k, v := range rep.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.Status)
	_, _ = w.Write([]byte(rep.Body))
}

// startTLS starts an HTTP/2 test server that t closes.
func startTLS(t testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// decodeJWT splits a compact JWS into its decoded header and claims, the
// signed part and the signature.
func decodeJWT(s string, header, claims any) (signed string, sig []byte, ok bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return "", nil, false
	}
	enc := base64.RawURLEncoding
	h, err1 := enc.DecodeString(parts[0])
	c, err2 := enc.DecodeString(parts[1])
	sig, err3 := enc.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return "", nil, false
	}
	if json.Unmarshal(h, header) != nil || json.Unmarshal(c, claims) != nil {
		return "", nil, false
	}
	return parts[0] + "." + parts[1], sig, true
}

package apitest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
)

// maxCapture bounds the bytes of a body kept for checking; a larger body
// is not checked (its status and content type still are).
const maxCapture = 16 << 20

// Validate returns h wrapped so that each request it serves and each
// answer it gives is checked against the API's OpenAPI document, a
// mismatch failing t (t.Errorf); the traffic counts for Exercised and
// Uncovered. Bodies stream through as before (the wrapper keeps a copy),
// and the checks run when h returns, so t must outlive the server (close
// it in t.Cleanup, as httptest servers are).
func Validate(t testing.TB, h http.Handler) http.Handler {
	t.Helper()
	c := mustLoad(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := &capture{whole: r.ContentLength == 0}
		if r.Body != nil && r.Body != http.NoBody {
			body.src = r.Body
			r.Body = body
		}
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		body.mu.Lock()
		ex := exchange{req: r, reqBody: body.buf.Bytes(), reqWhole: body.whole && !body.over, status: status,
			header: w.Header().Clone(), respBody: rec.body.Bytes(), respWhole: !rec.broken && !rec.over}
		body.mu.Unlock()
		c.report(t, ex)
	})
}

// Transport returns rt (http.DefaultTransport when nil) wrapped for a
// client's tests: each request it sends and each answer it receives is
// checked as Validate does. The answer's body is read whole before the
// caller gets it.
func Transport(t testing.TB, rt http.RoundTripper) http.RoundTripper {
	t.Helper()
	if rt == nil {
		rt = http.DefaultTransport
	}
	return transport{t: t, c: mustLoad(t), rt: rt}
}

type transport struct {
	t  testing.TB
	c  *contract
	rt http.RoundTripper
}

func (tr transport) RoundTrip(r *http.Request) (*http.Response, error) {
	body := &capture{whole: r.Body == nil || r.Body == http.NoBody}
	sent := r
	if !body.whole {
		body.src = r.Body
		sent = r.Clone(r.Context())
		sent.Body = body
	}
	resp, err := tr.rt.RoundTrip(sent)
	if err != nil {
		return nil, err
	}
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxCapture+1))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	body.mu.Lock()
	ex := exchange{req: r, reqBody: bytes.Clone(body.buf.Bytes()), reqWhole: body.whole && !body.over, status: resp.StatusCode,
		header: resp.Header, respBody: raw, respWhole: rerr == nil && len(raw) <= maxCapture}
	body.mu.Unlock()
	tr.c.report(tr.t, ex)
	return resp, nil
}

// report checks one exchange, records it, and fails t on each mismatch.
func (c *contract) report(t testing.TB, ex exchange) {
	op, problems := c.check(ex)
	if op != "" {
		record(op, ex.status)
	}
	for _, p := range problems {
		t.Errorf("openapi.json: %s %s → %d: %s", ex.req.Method, ex.req.URL.Path, ex.status, p)
	}
}

func mustLoad(t testing.TB) *contract {
	t.Helper()
	c, err := load()
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	return c
}

// capture keeps a copy of a request body as it is read; whole once the
// reader reached its end.
type capture struct {
	src   io.ReadCloser
	mu    sync.Mutex
	buf   bytes.Buffer
	whole bool
	over  bool
}

func (b *capture) Read(p []byte) (int, error) {
	n, err := b.src.Read(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len()+n > maxCapture {
		b.over = true
	} else {
		b.buf.Write(p[:n])
	}
	if errors.Is(err, io.EOF) {
		b.whole = true
	}
	return n, err
}

func (b *capture) Close() error { return b.src.Close() }

// recorder passes an answer through, keeping its status and a copy of its
// body; broken once a write failed (the client did not get it whole).
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	broken bool
	over   bool
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	if w.body.Len()+n > maxCapture {
		w.over = true
	} else {
		w.body.Write(p[:n])
	}
	if err != nil {
		w.broken = true
	}
	return n, err
}

// Flush lets streamed answers (exports, rejects) reach the client as
// they are written.
func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

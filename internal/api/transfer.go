package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Transfer is how slowly a client may send a request body or take a
// response: after Grace, on average MinRate bytes a second, and never
// more than Grace waiting at a time. Only the time
// spent waiting for the client counts, so an upload that the server
// itself is slow to consume (a long import), or an event stream that is
// quiet, is never cut off; a client trickling a body a byte at a time, or
// not reading a large export, is. The deadlines go through
// http.ResponseController, per request, so that a server-wide
// ReadTimeout or WriteTimeout does not have to cap every long request.
type Transfer struct {
	// MinRate is in bytes a second; 0 turns pacing off.
	MinRate int64
	// Grace is the time a client may wait before the rate counts
	// (0: DefaultTransferGrace).
	Grace time.Duration
}

// Defaults of Transfer in a server.
const (
	DefaultTransferMinRate = 1 << 10
	DefaultTransferGrace   = 30 * time.Second
)

// ErrSlowClient is a request body that arrived, or a response that was
// taken, slower than the minimum transfer rate.
var ErrSlowClient = errors.New("the client transferred slower than the minimum rate")

// pace keeps the account of one direction of one request.
type pace struct {
	rc     *http.ResponseController
	rate   float64 // bytes a second
	grace  time.Duration
	n      int64         // bytes transferred
	waited time.Duration // time spent waiting for the client
}

// budget returns how long the client may make us wait now, once more
// bytes have gone through: on average no slower than the rate, and never
// longer than the grace at a time, since bytes that went fast into the
// kernel's buffers earn credit a client could spend stalling.
func (p *pace) budget(more int) time.Duration {
	earned := time.Duration(float64(p.n+int64(more)) / p.rate * float64(time.Second))
	return min(p.grace+earned-p.waited, p.grace)
}

func (p *pace) slow(what string) error {
	return fmt.Errorf("%w: %s %d bytes in %s of waiting, want at least %d bytes a second after %s",
		ErrSlowClient, what, p.n, p.waited.Round(time.Millisecond), int64(p.rate), p.grace)
}

// pacedChunk is how much of a response is written without a deadline of
// its own: less than the server's buffers hold (net/http's 2 KiB before
// chunking, then the connection's 4 KiB), so such writes never reach the
// socket and cannot wait on the client. The deadline set when the request
// began bounds them if they do.
const pacedChunk = 2 << 10

// paced wraps a request's body and response writer in the transfer
// limits; start is when the request began. A small response — a tracking
// pixel, a redirect, most of the API — costs one deadline: the write
// deadline set here, start plus the grace, which bounds the final flush
// too unless the handler took half the grace or more (then done sets a
// fresh one). Deadlines are timers of the runtime's poller, a measurable
// share of a tracking hit's work when set three times a request.
func (t Transfer) paced(w http.ResponseWriter, r *http.Request, start time.Time) (http.ResponseWriter, *http.Request, func()) {
	if t.MinRate <= 0 {
		return w, r, func() {}
	}
	grace := t.Grace
	if grace <= 0 {
		grace = DefaultTransferGrace
	}
	rc := http.NewResponseController(w)
	// A deadline left by an earlier request on this connection must not
	// cut this one: the server resets a write deadline only when it has a
	// WriteTimeout of its own.
	_ = rc.SetWriteDeadline(start.Add(grace))
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &pacedBody{ReadCloser: r.Body, pace: pace{rc: rc, rate: float64(t.MinRate), grace: grace}}
	}
	pw := &pacedWriter{ResponseWriter: w, pace: pace{rc: rc, rate: float64(t.MinRate), grace: grace}}
	// What the handler left buffered is written after it returns: the
	// client has at least half the grace to take it.
	done := func() {
		if time.Since(start) >= grace/2 {
			_ = rc.SetWriteDeadline(time.Now().Add(grace))
		}
	}
	return pw, r, done
}

// pacedBody is a request body read within the transfer limits.
type pacedBody struct {
	io.ReadCloser
	pace
}

func (b *pacedBody) Read(p []byte) (int, error) {
	left := b.budget(0)
	if left <= 0 {
		return 0, b.slow("sent")
	}
	_ = b.rc.SetReadDeadline(time.Now().Add(left))
	start := time.Now()
	n, err := b.ReadCloser.Read(p)
	b.waited += time.Since(start)
	b.n += int64(n)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, b.slow("sent")
	case errors.Is(err, io.EOF):
		// At the end of the body the server starts reading in the
		// background, to notice a client that goes away; a deadline
		// passing there would cancel the request's context.
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// pacedWriter is a response written within the transfer limits.
type pacedWriter struct {
	http.ResponseWriter
	pace
	// buffered counts the bytes written since the last deadline: while
	// they stay under pacedChunk they sit in the server's buffers.
	buffered int
}

func (w *pacedWriter) Write(p []byte) (int, error) {
	if w.buffered+len(p) <= pacedChunk {
		n, err := w.ResponseWriter.Write(p)
		w.buffered += n
		w.n += int64(n)
		return n, err
	}
	w.buffered = 0
	left := w.budget(len(p))
	if left <= 0 {
		return 0, w.slow("took")
	}
	_ = w.rc.SetWriteDeadline(time.Now().Add(left))
	start := time.Now()
	n, err := w.ResponseWriter.Write(p)
	w.waited += time.Since(start)
	w.n += int64(n)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, w.slow("took")
	}
	return n, err
}

// Flush sends what is buffered, within the limits.
func (w *pacedWriter) Flush() {
	left := w.budget(0)
	if left <= 0 {
		return
	}
	w.buffered = 0
	_ = w.rc.SetWriteDeadline(time.Now().Add(left))
	start := time.Now()
	_ = w.rc.Flush()
	w.waited += time.Since(start)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *pacedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Package batch holds what the push providers share: a bounded pool of
// workers sending one batch, an HTTP exchange that knows whether the
// request left in full, and reading settings from the environment.
package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// SendFunc sends one message and says what happened to it.
type SendFunc func(ctx context.Context, m *channel.Message) channel.Result

// Run sends msgs with up to cap(slots) requests in flight across every
// concurrent batch of one provider. Messages not attempted because ctx ended
// or closed reports true are Transient.
func Run(ctx context.Context, name string, msgs []*channel.Message, slots chan struct{}, closed func() bool, send SendFunc) []channel.Result {
	res := make([]channel.Result, len(msgs))
	for i, m := range msgs {
		res[i].ID = m.ID
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(cap(slots), len(msgs)) {
		wg.Go(func() {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-slots }()
			for ctx.Err() == nil && !closed() {
				i := int(next.Add(1) - 1)
				if i >= len(msgs) {
					return
				}
				res[i] = send(ctx, msgs[i])
				res[i].ID = msgs[i].ID
			}
		})
	}
	wg.Wait()
	for i := range res {
		if res[i].Outcome == "" {
			reason := "not sent"
			if err := ctx.Err(); err != nil {
				reason = "not sent: " + err.Error()
			} else if closed() {
				reason = "not sent: provider closed"
			}
			res[i].Outcome, res[i].Error = channel.Transient, name+": "+reason
		}
	}
	return res
}

// maxBody bounds a response body read into memory.
const maxBody = 64 << 10

// Response is a completed HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req on client. When it fails, written says whether the request
// had been written in full: the server may then have acted on it. The error
// never holds the URL (which may carry a device token).
func Do(client *http.Client, req *http.Request) (resp *Response, written bool, err error) {
	// From the moment the headers are written the server may act on the
	// request: WroteRequest can come after it has, or carry the
	// cancellation's error, so it alone would call a delivered message
	// "not sent" and have it retried.
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteHeaders: func() { wrote.Store(true) },
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wrote.Store(true)
			}
		},
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	r, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, wrote.Load(), err
	}
	defer r.Body.Close()
	// A body cut short still leaves the status: the server has decided.
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	return &Response{Status: r.StatusCode, Header: r.Header, Body: body}, true, nil
}

// Failed builds a result for a transport failure: Unknown if the request
// had left in full, Transient otherwise.
func Failed(name string, written bool, err error) channel.Result {
	if written {
		return channel.Result{Outcome: channel.Unknown, Error: fmt.Sprintf("%s: no response after sending: %v", name, err)}
	}
	return channel.Result{Outcome: channel.Transient, Error: fmt.Sprintf("%s: not sent: %v", name, err)}
}

// Truncate shortens a provider's explanation for a result.
func Truncate(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Env returns a getter for settings named prefix+name, each read instead
// from the file named by prefix+name+"_FILE" when that is set. Errors name
// the variable, never the file's content.
func Env(pkg, prefix string, getenv func(string) string) func(name string) (string, error) {
	return func(name string) (string, error) {
		if f := getenv(prefix + name + "_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return "", fmt.Errorf("%w: %s: reading %s%s_FILE: %w", channel.ErrConfig, pkg, prefix, name, errors.Unwrap(err))
			}
			return strings.TrimRight(string(b), "\r\n"), nil
		}
		return getenv(prefix + name), nil
	}
}

// EnvReader reads a provider's settings from the environment (or *_FILE)
// and collects every problem, for FromEnv functions.
type EnvReader struct {
	pkg, prefix string
	get         func(string) (string, error)
	errs        []error
}

// NewEnvReader reads variables named prefix + name for provider pkg.
func NewEnvReader(pkg, prefix string, getenv func(string) string) *EnvReader {
	return &EnvReader{pkg: pkg, prefix: prefix, get: Env(pkg, prefix, getenv)}
}

// String returns a setting, or "" when unset or unreadable.
func (r *EnvReader) String(name string) string {
	v, err := r.get(name)
	if err != nil {
		r.errs = append(r.errs, err)
	}
	return v
}

// Int returns a numeric setting, 0 when unset.
func (r *EnvReader) Int(name string) int {
	v := r.String(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%w: %s: %s%s is not a number", channel.ErrConfig, r.pkg, r.prefix, name))
	}
	return n
}

// Duration returns a duration setting, 0 when unset.
func (r *EnvReader) Duration(name string) time.Duration {
	v := r.String(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%w: %s: %s%s is not a duration", channel.ErrConfig, r.pkg, r.prefix, name))
	}
	return d
}

// Err returns every problem met.
func (r *EnvReader) Err() error { return errors.Join(r.errs...) }

package outbound

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The headers of a webhook's request (docs/outbound.md#signature).
const (
	HeaderID        = "Fanfare-Webhook-Id"
	HeaderTimestamp = "Fanfare-Webhook-Timestamp"
	HeaderSignature = "Fanfare-Webhook-Signature"
)

// Sign returns the signature header's value of a body sent at ts:
// "v1=" and the hex HMAC-SHA256, keyed by the secret, of the timestamp in
// Unix seconds, a dot, and the body.
func Sign(secret []byte, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a request's signature as a receiver does: the timestamp
// within tolerance of now (a replay is refused) and one of the
// signatures (several, space-separated, while a secret is rotated)
// matching the body's.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%s %q: not Unix seconds", HeaderTimestamp, timestamp)
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return fmt.Errorf("%s %s: outside the %s window", HeaderTimestamp, ts.UTC().Format(time.RFC3339), tolerance)
	}
	want := Sign(secret, ts, body)
	for s := range strings.FieldsSeq(signature) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("%s: no signature matches the body", HeaderSignature)
}

// Webhook posts bodies to a URL, signed, retrying with exponential
// backoff and jitter.
type Webhook struct {
	URL        string
	Secret     []byte
	Attempts   int
	Backoff    time.Duration
	MaxBackoff time.Duration
	Client     *http.Client
	Now        func() time.Time
	// Sleep waits between attempts (time.Sleep unless the context ends).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Delay is the wait after the n-th failed attempt (from 1): Backoff
// doubled n-1 times, at most MaxBackoff, of which a random half is
// jitter.
func (w *Webhook) Delay(n int) time.Duration {
	d := w.Backoff << min(n-1, 30)
	if d > w.MaxBackoff || d <= 0 {
		d = w.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// Post sends body until the receiver answers 2xx, at most attempts
// times; it returns the attempts made and the last failure.
func (w *Webhook) Post(ctx context.Context, id, contentType string, extra http.Header, body []byte, attempts int) (int, error) {
	var last error
	for n := 1; n <= attempts; n++ {
		if last = w.post(ctx, id, contentType, extra, body); last == nil {
			return n, nil
		}
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		if n < attempts {
			if err := w.Sleep(ctx, w.Delay(n)); err != nil {
				return n, err
			}
		}
	}
	return attempts, last
}

func (w *Webhook) post(ctx context.Context, id, contentType string, extra http.Header, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	now := w.Now()
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(w.Secret, now, body))
	req.Header.Set("User-Agent", "Fanfare-Outbound/1")
	resp, err := w.Client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("POST %s: %w", redact(w.URL), err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", redact(w.URL), resp.Status)
	}
	return nil
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

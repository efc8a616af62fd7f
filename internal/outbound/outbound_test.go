package outbound

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

var t0 = time.Date(2026, 12, 7, 4, 15, 0, 0, time.UTC)

const secret = "whsec-0123456789abcdef"

// receiver is a real webhook peer: it verifies each request's signature
// and keeps the lines of those it accepts; fail says whether to answer
// the n-th request (from 1) with a 503.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	ids    []int64
	hooks  []string
	bodies []string
	calls  atomic.Int64
	fail   func(n int64) bool
	now    func() time.Time
}

func newReceiver(t *testing.T, now func() time.Time, fail func(n int64) bool) *receiver {
	r := &receiver{fail: fail, now: now}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := Verify([]byte(secret), req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderSignature), body, r.now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if n := r.calls.Add(1); r.fail != nil && r.fail(n) {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.hooks = append(r.hooks, req.Header.Get(HeaderID))
		r.bodies = append(r.bodies, string(body))
		for line := range strings.SplitSeq(strings.TrimSuffix(string(body), "\n"), "\n") {
			var l Line
			if err := json.Unmarshal([]byte(line), &l); err == nil && l.ID > 0 {
				r.ids = append(r.ids, l.ID)
			}
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ids)
}

func appendEvents(t testing.TB, s *store.Store, run int64, n int) {
	t.Helper()
	evs := make([]store.EventRecord, n)
	for i := range evs {
		evs[i] = store.EventRecord{At: t0, Type: "click", RunID: run, Activity: "mail", MessageID: fmt.Sprintf("r%d-m%d", run, i), Link: 1, URL: "https://shop.example/a", Label: "offer"}
	}
	if err := s.Events().Append(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

// recorder is an injected wait: it records the delays asked and waits
// none.
type recorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.delays = append(r.delays, d)
	r.mu.Unlock()
	return ctx.Err()
}

func hookSet(s *store.Store, url string, attempts, batch int, now func() time.Time, rec *recorder) *Set {
	c := &Config{Destinations: []Destination{{Name: "cdp", Kind: "webhook", Events: true, URL: url, Secret: secret, Attempts: attempts, Batch: batch}}}
	if err := c.Check(); err != nil {
		panic(err)
	}
	return New(s, c, Options{Now: now, Sleep: rec.sleep})
}

// drain steps x until a step delivers nothing.
func drain(t *testing.T, x *exporter) {
	t.Helper()
	for range 1000 {
		n, held, err := x.step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !held {
			t.Fatal("the exporter does not hold its destination")
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("the exporter never ran dry")
}

func TestWebhookRetriesThenDelivers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		appendEvents(t, s, 1, 5)
		// A message of the outbox: its events name the recipient.
		if _, err := storetest.DB(s).Exec(`INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, recipient, status, created_at, dimension, address)
			VALUES ('r1-m0', 1, 'mail', 'email', '{"customer_id":7}', 'sent', $1, 'customers', 'ann@example.com')`, t0); err != nil {
			t.Fatal(err)
		}
		now := func() time.Time { return time.Now() }
		r := newReceiver(t, now, func(n int64) bool { return n <= 2 })
		rec := &recorder{}
		set := hookSet(s, r.srv.URL, 5, 3, now, rec)
		x, err := set.exporter(set.dests["cdp"], "node-a")
		if err != nil {
			t.Fatal(err)
		}
		drain(t, x)
		got := r.got()
		if len(got) != 5 || r.calls.Load() != 4 {
			t.Fatalf("received %v in %d calls, want 5 events in 4 (2 refused, then 2 batches)", got, r.calls.Load())
		}
		for i := 1; i < len(got); i++ {
			if got[i] != got[i-1]+1 {
				t.Fatalf("ids %v: want consecutive", got)
			}
		}
		if len(rec.delays) != 2 || rec.delays[0] < 500*time.Millisecond || rec.delays[0] > time.Second || rec.delays[1] < time.Second || rec.delays[1] > 2*time.Second {
			t.Fatalf("delays %v: want one in [0.5s, 1s] then one in [1s, 2s]", rec.delays)
		}
		var first Line
		if err := json.Unmarshal([]byte(strings.SplitN(r.bodies[0], "\n", 2)[0]), &first); err != nil {
			t.Fatal(err)
		}
		if first.Profile == nil || first.Profile.Dimension != "customers" || string(first.Profile.Key) != `{"customer_id":7}` ||
			first.Channel != "email" || first.Link == nil || first.Link.URL != "https://shop.example/a" || first.Type != "click" || !first.At.Equal(t0) {
			t.Fatalf("first line %+v (profile %+v)", first, first.Profile)
		}
		if dl, _ := DeadLetters(context.Background(), s, Filter{}); len(dl) != 0 {
			t.Fatalf("dead letters %+v, want none", dl)
		}
	})
}

func TestWebhookDeadLetterThenRedeliver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		appendEvents(t, s, 1, 4)
		now := func() time.Time { return time.Now() }
		var down atomic.Bool
		down.Store(true)
		r := newReceiver(t, now, func(int64) bool { return down.Load() })
		rec := &recorder{}
		set := hookSet(s, r.srv.URL+"/hook?token=sekrit", 3, 10, now, rec)
		x, _ := set.exporter(set.dests["cdp"], "node-a")
		drain(t, x)
		dls, err := DeadLetters(ctx, s, Filter{Redelivered: new(false)})
		if err != nil || len(dls) != 1 || dls[0].Items != 4 || dls[0].Attempts != 3 || dls[0].Kind != KindEvents || dls[0].LastSeq-dls[0].FirstSeq != 3 {
			t.Fatalf("dead letters %+v %v, want one of 4 events after 3 attempts", dls, err)
		}
		if strings.Contains(dls[0].Error, "sekrit") {
			t.Fatalf("the dead letter's error shows the URL's query: %s", dls[0].Error)
		}
		// The cursor moved on: events appended later flow once the
		// receiver is back, without the dead letter.
		down.Store(false)
		appendEvents(t, s, 2, 2)
		drain(t, x)
		if got := r.got(); len(got) != 2 {
			t.Fatalf("after the dead letter received %v, want the 2 new events", got)
		}
		if _, err := set.Redeliver(ctx, 999); !errors.Is(err, ErrUnknownDeadLetter) || !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("redelivered an unknown dead letter: %v", err)
		}
		st, err := set.Status(ctx)
		if err != nil || len(st) != 1 || st[0].Lag != 0 || st[0].Cursor != dls[0].LastSeq+2 || st[0].DeadLetters != 1 || st[0].LeaseOwner != "node-a" || strings.Contains(st[0].Target, "sekrit") {
			t.Fatalf("status %+v %v: want no lag, the cursor past the 6 events, one dead letter, node-a's lease", st, err)
		}
		down.Store(true)
		if _, err := set.Redeliver(ctx, dls[0].ID); err == nil || !strings.Contains(err.Error(), ErrDeliveryFailed.Error()) {
			t.Fatalf("redelivery to a failing receiver: %v", err)
		}
		down.Store(false)
		d, err := set.Redeliver(ctx, dls[0].ID)
		if err != nil || d.RedeliveredAt.IsZero() || d.Attempts != 4 {
			t.Fatalf("redeliver: %+v %v", d, err)
		}
		if got := r.got(); len(got) != 6 {
			t.Fatalf("after redelivery received %v, want all 6", got)
		}
		if left, _ := DeadLetters(ctx, s, Filter{Redelivered: new(false)}); len(left) != 0 {
			t.Fatalf("dead letters left %+v", left)
		}
		if !strings.HasPrefix(r.hooks[len(r.hooks)-1], fmt.Sprintf("cdp-events-%d-%d", dls[0].FirstSeq, dls[0].LastSeq)) {
			t.Fatalf("redelivery's webhook id %q: want the batch's", r.hooks[len(r.hooks)-1])
		}
	})
}

func TestVerifyRefusesReplaysAndForgeries(t *testing.T) {
	body := []byte(`{"id":1}` + "\n")
	sig := Sign([]byte(secret), t0, body)
	ts := fmt.Sprint(t0.Unix())
	if err := Verify([]byte(secret), ts, "v1=00 "+sig, body, t0.Add(4*time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	for name, err := range map[string]error{
		"replayed":       Verify([]byte(secret), ts, sig, body, t0.Add(6*time.Minute), 5*time.Minute),
		"another body":   Verify([]byte(secret), ts, sig, []byte(`{"id":2}`+"\n"), t0, 5*time.Minute),
		"another secret": Verify([]byte("another-secret-0123"), ts, sig, body, t0, 5*time.Minute),
		"bad timestamp":  Verify([]byte(secret), "soon", sig, body, t0, 5*time.Minute),
	} {
		if err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

func TestFilesRotateBySizeAndTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		var mu sync.Mutex
		clock := t0
		now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		c := &Config{Destinations: []Destination{{Name: "lake", Kind: "files", Events: true, Dir: dir, MaxBytes: 2000, MaxAge: Duration(time.Minute), Batch: 4}}}
		if err := c.Check(); err != nil {
			t.Fatal(err)
		}
		set := New(s, c, Options{Now: now})
		x, err := set.exporter(set.dests["lake"], "node-a")
		if err != nil {
			t.Fatal(err)
		}
		appendEvents(t, s, 1, 33)
		drain(t, x)
		final, _ := filepath.Glob(filepath.Join(dir, "events-*.ndjson"))
		tmp, _ := filepath.Glob(filepath.Join(dir, ".events-*.tmp"))
		if len(final) < 2 || len(tmp) != 1 {
			t.Fatalf("by size: files %v, temporary %v; want at least 2 rotated and one being written", final, tmp)
		}
		for _, f := range final {
			if fi, _ := os.Stat(f); fi.Size() < 2000 {
				t.Fatalf("%s rotated at %d bytes, under the threshold", f, fi.Size())
			}
		}
		// Time: nothing rotates before the minute, the file does after.
		mu.Lock()
		clock = t0.Add(59 * time.Second)
		mu.Unlock()
		drain(t, x)
		if tmp2, _ := filepath.Glob(filepath.Join(dir, ".events-*.tmp")); len(tmp2) != 1 {
			t.Fatalf("rotated before its time: %v", tmp2)
		}
		mu.Lock()
		clock = t0.Add(61 * time.Second)
		mu.Unlock()
		drain(t, x)
		if tmp3, _ := filepath.Glob(filepath.Join(dir, ".events-*.tmp")); len(tmp3) != 0 {
			t.Fatalf("not rotated after its time: %v", tmp3)
		}
		ids := readIDs(t, dir)
		if len(ids) != 33 {
			t.Fatalf("%d events in the files, want 33", len(ids))
		}
	})
}

func readIDs(t *testing.T, dir string) []int64 {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "events-*.ndjson"))
	var ids []int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.SplitSeq(strings.TrimSuffix(string(b), "\n"), "\n") {
			var l Line
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatalf("%s: %q: %v", f, line, err)
			}
			ids = append(ids, l.ID)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func TestFilesRecoverKeepsWholeLines(t *testing.T) {
	dir := t.TempDir()
	left := filepath.Join(dir, ".events-20261207T041500Z-0001.ndjson.tmp")
	if err := os.WriteFile(left, []byte(`{"id":1}`+"\n"+`{"id":2}`+"\n"+`{"id":`), 0o600); err != nil {
		t.Fatal(err)
	}
	w := &Files{Dir: dir, Prefix: "events"}
	if err := w.Recover(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "events-20261207T041500Z-0001.ndjson"))
	if err != nil || string(b) != `{"id":1}`+"\n"+`{"id":2}`+"\n" {
		t.Fatalf("recovered %q %v", b, err)
	}
}

func TestContiguousWaitsForAMissingNumber(t *testing.T) {
	evs := []store.StreamEvent{{Seq: 12}, {Seq: 13}, {Seq: 15}}
	if take, gap := contiguous(store.Cursor{Seq: 11}, evs, t0, Settle); len(take) != 2 || !gap.IsZero() {
		t.Fatalf("no gap: took %d, gap %v", len(take), gap)
	}
	if take, gap := contiguous(store.Cursor{Seq: 10}, evs, t0, Settle); len(take) != 0 || !gap.Equal(t0) {
		t.Fatalf("gap seen: took %d, gap %v", len(take), gap)
	}
	if take, gap := contiguous(store.Cursor{Seq: 10, GapSince: t0}, evs, t0.Add(Settle-time.Millisecond), Settle); len(take) != 0 || !gap.Equal(t0) {
		t.Fatalf("gap waited for: took %d, gap %v", len(take), gap)
	}
	if take, gap := contiguous(store.Cursor{Seq: 10, GapSince: t0}, evs, t0.Add(Settle), Settle); len(take) != 2 || !gap.IsZero() {
		t.Fatalf("gap given up: took %d, gap %v", len(take), gap)
	}
}

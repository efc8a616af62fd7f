package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

var outboxT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fillOutbox writes run 1's activity act to the outbox from a population
// of customers 1…5 (customer 3's address is customer 1's in capitals,
// customer 4 has none), a slice of two keys per statement where the
// store slices, and reports what the area tallies for it.
func fillOutbox(t *testing.T, s *store.Store, act string, ready store.MessageStatus) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS customers (id BIGINT, email VARCHAR)`,
		`CREATE TABLE IF NOT EXISTS pop (id BIGINT)`,
	} {
		if _, err := storetest.DB(s).Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM customers`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		if _, err := storetest.DB(s).Exec(`INSERT INTO customers VALUES (1, 'a@x.test'), (2, 'b@x.test'), (3, 'A@x.test'), (4, NULL), (5, 'e@x.test')`); err != nil {
			t.Fatal(err)
		}
		if _, err := storetest.DB(s).Exec(`INSERT INTO pop VALUES (1), (2), (3), (4), (5)`); err != nil {
			t.Fatal(err)
		}
	}
	f := store.OutboxFill{
		Prefix: "1:" + act + ":", RunID: 1, Activity: act, Channel: "email", Dimension: "customers",
		Ready: ready, Now: outboxT0, Population: "pop", Key: []string{"id"}, KeyType: "BIGINT", Slice: 2,
		Candidates: func(where string) string {
			return `SELECT $1 || CAST(w.id AS VARCHAR) AS id, '{"id":' || CAST(w.id AS VARCHAR) || '}' AS recipient,
				CAST(d.email AS VARCHAR) AS address, CAST(NULL AS VARCHAR) AS platform, TRUE AS active, w.id AS k0
				FROM pop w JOIN customers d ON d.id = w.id ` + where
		},
	}
	release := s.Outbox().Append()
	defer release()
	for range 2 { // the second fill writes nothing
		if err := s.InTx(ctx, func(tx *store.Tx) error { return s.Outbox().On(tx).Fill(ctx, f) }); err != nil {
			t.Fatal(err)
		}
	}
}

// tally returns run 1's messages counted by "activity status reason".
func tally(t *testing.T, s *store.Store) map[string]int64 {
	t.Helper()
	counts, err := s.Outbox().Tally(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range counts {
		out[fmt.Sprintf("%s %s %s%s", c.Activity, c.Status, c.Reason, c.Report)] += c.Messages
	}
	return out
}

func wantTally(t *testing.T, s *store.Store, want map[string]int64) {
	t.Helper()
	got := tally(t, s)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("tally = %v, want %v", got, want)
	}
}

// TestOutboxFillAndControl checks a channel activity's write (once, with
// its exclusions) and how a run's pause, resume, stop and confirm move its
// messages.
func TestOutboxFillAndControl(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fillOutbox(t, s, "mail", store.MessagePending)
		wantTally(t, s, map[string]int64{"mail pending ": 3, "mail excluded duplicate_address": 1, "mail excluded no_address": 1})
		var seqs int
		if err := storetest.DB(s).QueryRow(`SELECT count(DISTINCT seq) FROM ff_outbox WHERE seq IS NOT NULL`).Scan(&seqs); err != nil {
			t.Fatal(err)
		}
		if s.Outbox().StatementBound() && seqs != 5 {
			t.Fatalf("%d rows numbered, want 5", seqs)
		}
		if n, err := s.Outbox().Outstanding(ctx, 1); err != nil || n != 3 {
			t.Fatalf("outstanding = %d, %v", n, err)
		}
		move := func(op func(o store.Outbox) (int64, error), want int64) {
			t.Helper()
			err := s.InTx(ctx, func(tx *store.Tx) error {
				n, err := op(s.Outbox().On(tx))
				if err == nil && n != want {
					err = fmt.Errorf("moved %d, want %d", n, want)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		move(func(o store.Outbox) (int64, error) { return o.Pause(ctx, 1, outboxT0) }, 3)
		if n, err := s.Outbox().Paused(ctx, 1); err != nil || n != 3 {
			t.Fatalf("paused = %d, %v", n, err)
		}
		if n, err := s.Outbox().Confirm(ctx, 1, outboxT0); err != nil || n != 0 {
			t.Fatalf("confirm released %d paused messages, %v", n, err)
		}
		move(func(o store.Outbox) (int64, error) { return o.Resume(ctx, 1, outboxT0) }, 3)
		fillOutbox(t, s, "sms", store.MessageHeld)
		move(func(o store.Outbox) (int64, error) { return o.Cancel(ctx, 1, outboxT0) }, 6)
		wantTally(t, s, map[string]int64{"mail cancelled run_stopped": 3, "mail excluded duplicate_address": 1, "mail excluded no_address": 1,
			"sms cancelled run_stopped": 3, "sms excluded duplicate_address": 1, "sms excluded no_address": 1})
	})
}

// TestOutboxSend takes messages through a sender: claimed once, marked
// sending, recorded sent or failed, and recovered in doubt when their
// dispatcher died.
func TestOutboxSend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fillOutbox(t, s, "mail", store.MessagePending)
		send := s.Outbox().Sender(store.SenderConfig{Owner: "node-1", Lease: time.Minute, Batch: 10})
		rows, err := send.Claim(ctx, outboxT0, nil)
		if err != nil || len(rows) != 3 {
			t.Fatalf("claimed %d, %v; want 3", len(rows), err)
		}
		defer send.Release(rows)
		if again, err := send.Claim(ctx, outboxT0, nil); err != nil || len(again) != 0 {
			t.Fatalf("claimed %d held messages again, %v", len(again), err)
		}
		if skipped, err := s.Outbox().Sender(store.SenderConfig{Owner: "node-2", Lease: time.Minute, Batch: 10}).
			Claim(ctx, outboxT0, []store.Skip{{Channel: "email"}}); err != nil || len(skipped) != 0 {
			t.Fatalf("claimed %d messages of a skipped channel, %v", len(skipped), err)
		}
		moved, kept, err := send.Advance(ctx, nil, rows[:2], outboxT0)
		if err != nil || len(kept) != 2 || moved[0].Attempts != 1 {
			t.Fatalf("advance = %v, %v, %v", moved, kept, err)
		}
		done := &store.Accepted{Provider: "smtp", Rows: moved, Refs: []string{"ref-a", "ref-b"}}
		if _, kept, err := send.Advance(ctx, done, rows[2:], outboxT0); err != nil || len(kept) != 1 {
			t.Fatalf("advance = %v, %v", kept, err)
		}
		// A report changes its message once: repeated (a retried
		// callback) or too late to replace it (interim after final), it
		// changes nothing and names no message.
		for i, tc := range []struct {
			r    store.OutboxReport
			want int
		}{
			{store.OutboxReport{Channel: "email", ProviderID: "ref-b", Status: "delivered"}, 1},
			{store.OutboxReport{Channel: "email", ProviderID: "ref-b", Status: "delivered"}, 0},
			{store.OutboxReport{Channel: "email", ProviderID: "ref-b", Status: "sent", Interim: []string{"sent"}}, 0},
		} {
			changed, err := s.Outbox().Report(ctx, tc.r)
			if err != nil || len(changed) != tc.want || (tc.want == 1 && changed[0].MessageID != rows[1].MessageID) {
				t.Fatalf("report %d: changed %+v, %v; want %d", i, changed, err, tc.want)
			}
		}
		// The last one's dispatcher dies while it is sent.
		returned, inDoubt, err := send.Recover(ctx, outboxT0.Add(2*time.Minute))
		if err != nil || returned != 0 || inDoubt != 1 {
			t.Fatalf("recover = %d, %d, %v", returned, inDoubt, err)
		}
		doubt, err := send.InDoubt(ctx, "email")
		if err != nil || len(doubt) != 1 || doubt[0].MessageID != rows[2].MessageID {
			t.Fatalf("in doubt = %v, %v", doubt, err)
		}
		if err := send.Settle(ctx, doubt, store.Outcome{Status: store.MessageFailed, Reason: "550"}, store.Doubted, outboxT0); err != nil {
			t.Fatal(err)
		}
		wantTally(t, s, map[string]int64{"mail sent ": 1, "mail sent delivered": 1, "mail failed 550": 1,
			"mail excluded duplicate_address": 1, "mail excluded no_address": 1})
	})
}

// TestOutboxRequeue checks that messages given back wait for their time
// and keep their attempts.
func TestOutboxRequeue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fillOutbox(t, s, "mail", store.MessagePending)
		send := s.Outbox().Sender(store.SenderConfig{Owner: "node-1", Lease: time.Minute, Batch: 10})
		rows, err := send.Claim(ctx, outboxT0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := send.Requeue(ctx, rows[:1], store.MessageRetry, store.ReasonOutsideWindow, outboxT0.Add(time.Hour), outboxT0); err != nil {
			t.Fatal(err)
		}
		if err := send.Requeue(ctx, rows[1:], store.MessagePending, "", time.Time{}, outboxT0); err != nil {
			t.Fatal(err)
		}
		send.Release(rows)
		attempts := 1 // this claim's, where claims are written
		if s.Outbox().StatementBound() {
			attempts = 0
		}
		if again, err := send.Claim(ctx, outboxT0, nil); err != nil || len(again) != 2 || again[0].Attempts != attempts {
			t.Fatalf("claimed %v, %v; want the two given back, the first claim not counted", again, err)
		}
		wantTally(t, s, map[string]int64{"mail retry outside_send_window": 1, "mail " + claimedOr(s, "pending") + " ": 2,
			"mail excluded duplicate_address": 1, "mail excluded no_address": 1})
	})
}

// claimedOr is the status of a claimed message: claimed where claims are
// written, else as it was.
func claimedOr(s *store.Store, status string) string {
	if s.Outbox().StatementBound() {
		return status
	}
	return "claimed"
}

// TestOutboxResolve checks an operator's decision on in-doubt messages
// and its record.
func TestOutboxResolve(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fillOutbox(t, s, "mail", store.MessagePending)
		if _, err := storetest.DB(s).Exec(`UPDATE ff_outbox SET status = 'in_doubt', reason = $1 WHERE status = 'pending'`, store.ReasonDispatcherDied); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Outbox().ResolveInDoubt(ctx, 1, "", store.MessageSent, outboxT0); err == nil {
			t.Fatal("resolved in-doubt messages as sent")
		}
		moved, err := s.Outbox().ResolveInDoubt(ctx, 1, "mail", store.MessageDropped, outboxT0)
		if err != nil || moved["mail"] != 3 {
			t.Fatalf("moved %v, %v", moved, err)
		}
		r := store.OutboxResolution{RunID: 1, Activity: "mail", Decision: "drop", Messages: 3, ActorKind: "cli", ActorName: "ann", DecidedAt: outboxT0}
		if err := s.Outbox().RecordResolution(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.Outbox().Resolutions(ctx, 1)
		if err != nil || len(got) != 1 || got[0] != r {
			t.Fatalf("resolutions = %v, %v", got, err)
		}
		wantTally(t, s, map[string]int64{"mail dropped " + store.ReasonDispatcherDied: 3,
			"mail excluded duplicate_address": 1, "mail excluded no_address": 1})
	})
}

// TestSandbox checks the sandbox's messages: a copy counted, listed by
// run, found by id.
func TestSandbox(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		b := s.Sandbox()
		m := store.SandboxRecord{MessageID: "7:mail:1", Channel: "email", Address: "a@x.test", Content: `{}`, SentAt: outboxT0}
		other := store.SandboxRecord{MessageID: "8:mail:1", Channel: "email", Address: "a@x.test", Content: `{}`, SentAt: outboxT0}
		if err := b.Put(ctx, []store.SandboxRecord{m, other}); err != nil {
			t.Fatal(err)
		}
		if err := b.Put(ctx, []store.SandboxRecord{m}); err != nil {
			t.Fatal(err)
		}
		list, err := b.List(ctx, 7, 10)
		if err != nil || len(list) != 1 || list[0].MessageID != m.MessageID || list[0].Copies != 2 {
			t.Fatalf("list = %v, %v", list, err)
		}
		if _, err := b.Get(ctx, "9:mail:1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get of a message never kept: %v", err)
		}
		has, err := b.Has(ctx, []string{"7:mail:1", "9:mail:1"})
		if err != nil || !has["7:mail:1"] || has["9:mail:1"] {
			t.Fatalf("has = %v, %v", has, err)
		}
	})
}

// TestOutboxDepths counts the queue by channel and status, leaving out
// the messages at an outcome (the exclusions of the fill).
func TestOutboxDepths(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if d, err := s.Outbox().Depths(ctx); err != nil || len(d) != 0 {
			t.Fatalf("depths of an empty outbox = %v, %v", d, err)
		}
		fillOutbox(t, s, "mail", store.MessagePending)
		fillOutbox(t, s, "later", store.MessageHeld)
		d, err := s.Outbox().Depths(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.OutboxDepth{{Channel: "email", Status: store.MessageHeld, Messages: 3}, {Channel: "email", Status: store.MessagePending, Messages: 3}}
		if fmt.Sprint(d) != fmt.Sprint(want) {
			t.Fatalf("depths = %v, want %v", d, want)
		}
	})
}

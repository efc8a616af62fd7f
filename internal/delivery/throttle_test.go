package delivery_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// setupRun stores campaign 1 with the document's activities and its run 1,
// so the dispatcher reads the activities' settings as in a real run.
func setupRun(t *testing.T, s *store.Store, activities string) {
	t.Helper()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	doc := "name: paced\ndimension: customers\nactivities:\n" + activities
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO ff_campaigns (id, name, status, latest_version, created_at, updated_at) VALUES (1, 'paced', 'published', 1, $1, $1)`, []any{now}},
		{`INSERT INTO ff_campaign_versions (campaign_id, version, document, created_at) VALUES (1, 1, $1, $2)`, []any{doc, now}},
		{`INSERT INTO ff_runs (id, campaign_id, version, mode, status, trigger, params, created_at) VALUES (1, 1, 1, 'live', 'running', 'manual', '{}', $1)`, []any{now}},
	} {
		if _, err := storetest.DB(s).Exec(q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
}

// addMessages adds n pending email messages of run 1's activity.
func addMessages(t *testing.T, s *store.Store, activity string, n int) {
	t.Helper()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		addMessage(t, s, 1, activity, i+1, fmt.Sprintf("%s%d@example.com", activity, i+1), now)
	}
}

// sentBy counts run 1's sent messages by activity.
func sentBy(t *testing.T, s *store.Store) map[string]int64 {
	t.Helper()
	figs, err := delivery.RunFigures(context.Background(), s, 1)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, f := range figs {
		out[f.Activity] = f.Sent
	}
	return out
}

type outboxRow struct {
	status, reason string
	attempts       int
	retryAt        time.Time
}

func outboxRowOf(t *testing.T, s *store.Store, id string) outboxRow {
	t.Helper()
	var r outboxRow
	var retryAt *time.Time
	err := storetest.DB(s).QueryRow(`SELECT status, coalesce(reason, ''), attempts, retry_at FROM ff_outbox WHERE message_id = $1`, id).Scan(&r.status, &r.reason, &r.attempts, &retryAt)
	if err != nil {
		t.Fatal(err)
	}
	if retryAt != nil {
		r.retryAt = retryAt.UTC()
	}
	return r
}

func TestActivityRateLimitsEachSecond(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setupRun(t, s, "  mail: {type: email, rate: 10}\n  news: {type: email}\n")
		addMessages(t, s, "mail", 25)
		addMessages(t, s, "news", 5)
		sb, _ := delivery.NewSandbox(s, channel.Email)
		d := dispatcher(t, s, "n1", sb, c)
		drain(t, d)
		// The throttled activity sends its 10; the batch budget goes to
		// the other activity instead of waiting.
		if got := sentBy(t, s); got["mail"] != 10 || got["news"] != 5 {
			t.Fatalf("first second: %v", got)
		}
		var over int
		storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_outbox WHERE activity_id = 'mail' AND status = 'pending' AND attempts = 0 AND lease_owner IS NULL`).Scan(&over)
		if over != 15 {
			t.Fatalf("%d messages over the budget are pending with no attempt counted, want 15", over)
		}
		c.Add(500 * time.Millisecond)
		drain(t, d)
		if got := sentBy(t, s); got["mail"] != 15 {
			t.Fatalf("after half a second: %v", got)
		}
		c.Add(500 * time.Millisecond)
		drain(t, d)
		if got := sentBy(t, s); got["mail"] != 20 {
			t.Fatalf("after a second: %v", got)
		}
		c.Add(time.Second)
		drain(t, d)
		if got := sentBy(t, s); got["mail"] != 25 {
			t.Fatalf("after two seconds: %v", got)
		}
	})
}

func TestProviderRateCapsEveryActivity(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setupRun(t, s, "  mail: {type: email}\n  news: {type: email, rate: 100}\n")
		addMessages(t, s, "mail", 4)
		addMessages(t, s, "news", 4)
		sb, _ := delivery.NewSandbox(s, channel.Email)
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: sb}, Renderer: plainRenderer{},
			Owner: "n1", Batch: 50, Now: c.Now, ProviderRate: map[string]float64{channel.Email: 3}})
		for second, want := range []int{3, 6, 8} {
			drain(t, d)
			if got := len(sandboxCopies(t, s)); got != want {
				t.Fatalf("second %d: sent %d, want %d", second, got, want)
			}
			c.Add(time.Second)
		}
	})
}

func TestSendWindowDefersToNextOpening(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		// 22:00 UTC is 23:00 in Paris (CET).
		c := &clock{t: time.Date(2026, 11, 1, 22, 0, 0, 0, time.UTC)}
		setupRun(t, s, "  mail: {type: email, window: {from: '09:00', to: '20:00', timezone: Europe/Paris}}\n")
		addMessages(t, s, "mail", 1)
		sb, _ := delivery.NewSandbox(s, channel.Email)
		d := dispatcher(t, s, "n1", sb, c)
		drain(t, d)
		got := outboxRowOf(t, s, "1:mail:1")
		paris, _ := time.LoadLocation("Europe/Paris")
		opening := time.Date(2026, 11, 2, 9, 0, 0, 0, paris)
		if got.status != delivery.StatusRetry || got.reason != delivery.ReasonOutsideWindow || got.attempts != 0 || !got.retryAt.Equal(opening) {
			t.Fatalf("outside the window: %+v, want retry at %v with no attempt", got, opening.UTC())
		}
		c.t = opening.Add(-time.Second)
		drain(t, d)
		if n := len(sandboxCopies(t, s)); n != 0 {
			t.Fatalf("sent %d before the window opened", n)
		}
		c.t = opening
		drain(t, d)
		if got := outboxRowOf(t, s, "1:mail:1"); got.status != delivery.StatusSent || got.attempts != 1 {
			t.Fatalf("at the opening: %+v", got)
		}
	})
}

func TestSendWindowAcrossMidnight(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		now  time.Time
		// retryAt is zero when the message is sent at once.
		retryAt time.Time
	}{
		{"before the opening", time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 22, 0, 0, 0, time.UTC)},
		{"late evening", time.Date(2026, 11, 1, 23, 30, 0, 0, time.UTC), time.Time{}},
		{"after midnight", time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC), time.Time{}},
		{"at the closing", time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 22, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				c := &clock{t: tt.now}
				setupRun(t, s, "  mail: {type: email, window: {from: '22:00', to: '06:00', timezone: UTC}}\n")
				addMessages(t, s, "mail", 1)
				sb, _ := delivery.NewSandbox(s, channel.Email)
				drain(t, dispatcher(t, s, "n1", sb, c))
				got := outboxRowOf(t, s, "1:mail:1")
				switch {
				case tt.retryAt.IsZero() && got.status != delivery.StatusSent:
					t.Fatalf("inside the window: %+v", got)
				case !tt.retryAt.IsZero() && (got.status != delivery.StatusRetry || !got.retryAt.Equal(tt.retryAt) || got.attempts != 0):
					t.Fatalf("outside the window: %+v, want retry at %v", got, tt.retryAt)
				}
			})
		})
	}
}

package delivery_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestFeedbackSuppresses: a provider's reports become events of their
// messages and figures; a hard bounce and a complaint suppress the address
// at once, soft bounces only once the policy's count is reached within its
// span; each suppression names its cause and source. A report about a
// message Fanfare never sent is counted as unknown, not recorded.
func TestFeedbackSuppresses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
		setup(t, s, []string{"ok@example.com", "gone@example.com", "angry@example.com", "full@example.com"})
		if _, err := storetest.DB(s).Exec(`UPDATE ff_outbox SET status = 'sent', provider_id = 'ses-' || message_id`); err != nil {
			t.Fatal(err)
		}
		policy := delivery.SoftBouncePolicy{Count: 2, Within: 7 * 24 * time.Hour}
		reports := []delivery.Feedback{
			{Kind: delivery.FeedbackDelivered, MessageID: "1:mail:1", At: t0, Source: "ses"},
			{Kind: delivery.FeedbackBounce, Hard: true, Status: "5.1.1", Diagnostic: "smtp; 550 5.1.1 user unknown", ProviderID: "ses-1:mail:2", At: t0, Source: "ses"},
			{Kind: delivery.FeedbackComplaint, MessageID: "1:mail:3", At: t0, Source: "sendgrid"},
			{Kind: delivery.FeedbackBounce, Status: "4.2.2", Diagnostic: "mailbox full", MessageID: "1:mail:4", At: t0, Source: "webhook"},
			{Kind: delivery.FeedbackBounce, Hard: true, MessageID: "9:mail:9", At: t0, Source: "webhook"},
		}
		recorded, unknown, err := delivery.RecordFeedback(ctx, s, reports, policy)
		if err != nil || recorded != 4 || unknown != 1 {
			t.Fatalf("recorded %d, unknown %d, %v", recorded, unknown, err)
		}
		reasons := func() map[string]string {
			list, err := delivery.Suppressions(ctx, s, channel.Email, "", false, 100)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, x := range list {
				out[x.Address] = x.Reason
			}
			return out
		}
		got := reasons()
		if len(got) != 2 || got["gone@example.com"] != "hard bounce (ses): 5.1.1 smtp; 550 5.1.1 user unknown" || got["angry@example.com"] != "complaint (sendgrid)" {
			t.Fatalf("suppressions after one soft bounce: %v", got)
		}
		// The second soft bounce within the span suppresses.
		if _, _, err := delivery.RecordFeedback(ctx, s, []delivery.Feedback{{Kind: delivery.FeedbackBounce, Status: "4.2.2", MessageID: "1:mail:4", At: t0.Add(48 * time.Hour), Source: "webhook"}}, policy); err != nil {
			t.Fatal(err)
		}
		if r := reasons()["full@example.com"]; !strings.HasPrefix(r, "2 soft bounces in 168h0m0s (webhook): 4.2.2") {
			t.Fatalf("after two soft bounces: %q", r)
		}
		// An unsubscribe link used, twice: one message unsubscribed.
		u := delivery.Unsubscribe{Dimension: "customers", ProfileKey: `{"customer_id":1}`, Channel: channel.Email, MessageID: "1:mail:1", SentAt: t0}
		for range 2 {
			if _, err := delivery.RecordUnsubscribe(ctx, s, u, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		figs, err := delivery.RunFigures(ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		e := figs[0].Engagement
		if e == nil || e.Delivered != 1 || e.BouncedHard != 1 || e.BouncedSoft != 1 || e.Complaints != 1 || e.Unsubscribed != 1 {
			t.Fatalf("engagement: %+v", e)
		}
	})
}

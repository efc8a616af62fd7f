package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// setupPreview loads the shop model, two customers with purchases and
// the thanks campaign (saved, never run).
func setupPreview(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	loadShopRows(t, s, "customer_id,email,country\n1,ann@example.com,FR\n2,bob@example.com,FR\n",
		"purchase_id,customer_id,amount,purchased_at\n1,1,10.50,2026-10-01T00:00:00Z\n2,1,20.00,2026-10-02T00:00:00Z\n")
	if _, err := engine.New(engine.Config{Store: s}).Save(ctx, []byte(flowCampaign)); err != nil {
		t.Fatal(err)
	}
}

func TestPreviewMessage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		setupPreview(t, s)
		msg, err := delivery.PreviewMessage(ctx, s, "thanks", "mail", nil, []any{json.Number("1")})
		if err != nil {
			t.Fatal(err)
		}
		e := msg.Email
		if msg.Channel != channel.Email || msg.To != "ann@example.com" || e == nil || e.Subject != "Thank you, ann" || e.From != "Shop <shop@example.com>" {
			t.Fatalf("preview = %+v %+v", msg, e)
		}
		// Profile, linked data and variables render; the enrichment column
		// is empty (no run) and the unsubscribe link a fake one.
		for _, want := range []string{"last purchase: 20", "Code THANKS10", delivery.PreviewUnsubscribeURL} {
			if !strings.Contains(e.HTML, want) {
				t.Fatalf("html %q lacks %q", e.HTML, want)
			}
		}
		if e.Text == "" || e.UnsubscribeURL != "" {
			t.Fatalf("text %q, unsubscribe %q", e.Text, e.UnsubscribeURL)
		}
		// The key may come as text (the command line).
		if msg, err := delivery.PreviewMessage(ctx, s, "thanks", "mail", nil, []any{"2"}); err != nil || msg.To != "bob@example.com" {
			t.Fatalf("bob: %+v, %v", msg, err)
		}

		for _, tc := range []struct {
			name, campaign, activity string
			key                      []any
			want                     error
		}{
			{"unknown profile", "thanks", "mail", []any{99}, store.ErrNotFound},
			{"unknown campaign", "nope", "mail", []any{1}, store.ErrNotFound},
			{"unknown activity", "thanks", "nope", []any{1}, store.ErrNotFound},
			{"not a channel", "thanks", "spend", []any{1}, store.ErrNotFound},
			{"bad key", "thanks", "mail", []any{"x"}, delivery.ErrInvalidKey},
			{"key too long", "thanks", "mail", []any{1, 2}, delivery.ErrInvalidKey},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := delivery.PreviewMessage(ctx, s, tc.campaign, tc.activity, nil, tc.key); !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
			})
		}
	})
}

func TestSendProof(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		setupPreview(t, s)
		msg, err := delivery.PreviewMessage(ctx, s, "thanks", "mail", nil, []any{1})
		if err != nil {
			t.Fatal(err)
		}
		sb, _ := delivery.NewSandbox(s, channel.Email)
		providers := map[string]channel.Provider{channel.Email: sb}
		if _, err := delivery.SendProof(ctx, providers, msg, []string{"qa@example.com", "bad address"}); !errors.Is(err, channel.ErrAddress) {
			t.Fatalf("bad address: %v", err)
		}
		if _, err := delivery.SendProof(ctx, map[string]channel.Provider{}, msg, []string{"qa@example.com"}); !errors.Is(err, delivery.ErrNoProvider) {
			t.Fatalf("no provider: %v", err)
		}
		res, err := delivery.SendProof(ctx, providers, msg, []string{"qa@example.com", "lead@example.com"})
		if err != nil || len(res) != 2 || res[0].Outcome != channel.Sent || !strings.HasPrefix(res[0].ID, "proof:") || res[0].ID == res[1].ID {
			t.Fatalf("proof = %+v, %v", res, err)
		}
		if msg.Email.Subject != "Thank you, ann" {
			t.Fatalf("the proof changed the preview: %q", msg.Email.Subject)
		}
		got, err := (&delivery.StoreSink{Store: s}).Get(ctx, res[0].ID)
		if err != nil || got.Address != "qa@example.com" || !strings.Contains(string(got.Content), `"subject":"[Proof] Thank you, ann"`) {
			t.Fatalf("sandbox = %+v, %v", got, err)
		}
		var n int
		if err := storetest.DB(s).QueryRowContext(ctx, `SELECT count(*) FROM ff_outbox`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("outbox rows = %d, %v", n, err)
		}
	})
}

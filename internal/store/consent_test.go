package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestConsentUnsubscribeReplay checks that an unsubscribe link obeys a
// newer choice: an opt-in recorded after the message stays, an opt-out
// already recorded keeps its date and source, an older opt-in gives way.
func TestConsentUnsubscribeReplay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := s.Consent()
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		rec := func(status, source string, at time.Time) store.ConsentRecord {
			return store.ConsentRecord{Dimension: "customers", ProfileKey: `{"id":1}`, Channel: "email", Status: status, Source: source, UpdatedAt: at}
		}
		if err := c.Set(ctx, rec(store.ConsentOptIn, "api", t0)); err != nil {
			t.Fatal(err)
		}
		// A message made before the opt-in: its link does not undo it.
		out, err := c.Unsubscribe(ctx, rec("", "unsubscribe:m0", t0.Add(time.Hour)), t0.Add(-time.Minute))
		if err != nil || out {
			t.Fatalf("replayed old link = %v, %v, want false", out, err)
		}
		// A message made after it: obeyed.
		out, err = c.Unsubscribe(ctx, rec("", "unsubscribe:m1", t0.Add(2*time.Hour)), t0.Add(time.Minute))
		if err != nil || !out {
			t.Fatalf("link = %v, %v, want true", out, err)
		}
		// Again, from another message: the first opt-out stays as it was.
		out, err = c.Unsubscribe(ctx, rec("", "unsubscribe:m2", t0.Add(3*time.Hour)), t0.Add(2*time.Hour))
		if err != nil || !out {
			t.Fatalf("second link = %v, %v, want true", out, err)
		}
		got, err := c.Of(ctx, "customers", `{"id":1}`)
		if err != nil || len(got) != 1 {
			t.Fatalf("of = %+v, %v", got, err)
		}
		if g := got[0]; g.Status != store.ConsentOptOut || g.Source != "unsubscribe:m1" || !g.UpdatedAt.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("consent %+v, want the first opt-out", g)
		}
	})
}

// TestConsentImport checks that an import writes every batch (more rows
// than one statement takes), never over consent recorded later, and that
// a profile's records come by channel.
func TestConsentImport(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := s.Consent()
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		later := store.ConsentRecord{Dimension: "customers", ProfileKey: `{"id":7}`, Channel: "sms", Status: store.ConsentOptOut, Source: "api", UpdatedAt: t0.Add(time.Hour)}
		if err := c.Set(ctx, later); err != nil {
			t.Fatal(err)
		}
		var rows []store.ConsentRecord
		for i := range 1201 {
			rows = append(rows, store.ConsentRecord{ProfileKey: fmt.Sprintf(`{"id":%d}`, i), Channel: "sms", Status: store.ConsentOptIn, Source: "import", UpdatedAt: t0})
		}
		rows = append(rows, store.ConsentRecord{ProfileKey: `{"id":7}`, Channel: "email", Status: store.ConsentOptIn, Source: "import", UpdatedAt: t0})
		err := s.InTx(ctx, func(tx *store.Tx) error { return s.Consent().On(tx).Import(ctx, "customers", rows) })
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Of(ctx, "customers", `{"id":7}`)
		if err != nil || len(got) != 2 {
			t.Fatalf("of = %+v, %v", got, err)
		}
		if got[0].Channel != "email" || got[1].Channel != "sms" || got[1].Status != store.ConsentOptOut || got[1].Source != "api" {
			t.Fatalf("consent %+v: want email, then sms kept as recorded later", got)
		}
		if got, err := c.Of(ctx, "customers", `{"id":1200}`); err != nil || len(got) != 1 || got[0].Source != "import" {
			t.Fatalf("last row of the last batch = %+v, %v", got, err)
		}
		if got, err := c.Of(ctx, "customers", `{"id":99999}`); err != nil || got == nil || len(got) != 0 {
			t.Fatalf("unknown profile = %#v, %v, want an empty list", got, err)
		}
		// The send's check: of these profiles, which opted out of sms (7,
		// later), not of email, nor in another dimension.
		if err := c.Set(ctx, store.ConsentRecord{Dimension: "accounts", ProfileKey: `{"id":8}`, Channel: "sms", Status: store.ConsentOptOut, Source: "api", UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		keys := []string{`{"id":7}`, `{"id":8}`, `{"id":9}`}
		if out, err := c.OptedOut(ctx, "sms", "customers", keys); err != nil || len(out) != 1 || !out[`{"id":7}`] {
			t.Fatalf("opted out of sms = %v, %v, want 7 alone", out, err)
		}
		if out, err := c.OptedOut(ctx, "email", "customers", keys); err != nil || len(out) != 0 {
			t.Fatalf("opted out of email = %v, %v, want none", out, err)
		}
	})
}

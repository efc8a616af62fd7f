package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestSuppressions checks the suppression list: addresses in lower case,
// an address added again keeps its date and takes the new reason, pages
// in address order, and what is not on the list is ErrNotFound.
func TestSuppressions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sup := s.Suppressions()
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		for i, a := range []string{"C@x.io", "a@x.io", "b@x.io"} {
			if err := sup.Add(ctx, store.SuppressionRecord{Channel: "email", Address: a, Reason: "bounce", CreatedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := sup.Add(ctx, store.SuppressionRecord{Channel: "email", Address: "c@X.io", Reason: "complaint", CreatedAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := sup.Add(ctx, store.SuppressionRecord{Channel: "sms", Address: "+33600000000", Reason: "stop", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		r, err := sup.Get(ctx, "email", "C@X.IO")
		if err != nil || r.Address != "c@x.io" || r.Reason != "complaint" || !r.CreatedAt.Equal(t0) {
			t.Fatalf("get = %+v, %v, want c@x.io, complaint, first date", r, err)
		}
		page, err := sup.Page(ctx, "email", "", 2)
		if err != nil || len(page) != 2 || page[0].Address != "a@x.io" || page[1].Address != "b@x.io" {
			t.Fatalf("first page = %+v, %v", page, err)
		}
		page, err = sup.Page(ctx, "email", "B@x.io", 2)
		if err != nil || len(page) != 1 || page[0].Address != "c@x.io" {
			t.Fatalf("page after b = %+v, %v", page, err)
		}
		if err := sup.Remove(ctx, "email", "A@x.io"); err != nil {
			t.Fatal(err)
		}
		if err := sup.Remove(ctx, "email", "a@x.io"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("remove again: %v, want ErrNotFound", err)
		}
		if _, err := sup.Get(ctx, "sms", "a@x.io"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get on another channel: %v, want ErrNotFound", err)
		}
		// The send's check: which of a batch's addresses are suppressed
		// on its channel (a@ was removed; the sms entry is another channel's).
		among, err := sup.Among(ctx, "email", []string{"a@x.io", "b@x.io", "c@x.io", "+33600000000", "d@x.io"})
		if err != nil || len(among) != 2 || !among["b@x.io"] || !among["c@x.io"] {
			t.Fatalf("among = %v, %v, want b@ and c@", among, err)
		}
		if among, err := sup.Among(ctx, "email", nil); err != nil || len(among) != 0 {
			t.Fatalf("among none = %v, %v", among, err)
		}
	})
}

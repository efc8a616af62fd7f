package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestKeys checks the keyring's table: a key added twice keeps its first
// secret, keys list oldest first (by id at the same instant), and only an
// active key retires.
func TestKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		keys := s.Keys()
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		add := func(id string, secret string, at time.Time) {
			t.Helper()
			if err := keys.Add(ctx, store.KeyRecord{ID: id, Secret: []byte(secret), Source: "generated", CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		add("kb", "second\x00bytes", t0)
		add("ka", "first", t0)
		add("kc", "third", t0.Add(-time.Hour))
		add("ka", "other", t0.Add(time.Hour)) // already held: left as it is
		list, err := keys.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, k := range list {
			got = append(got, k.ID+"="+string(k.Secret))
		}
		if want := []string{"kc=third", "ka=first", "kb=second\x00bytes"}; !equal(got, want) {
			t.Fatalf("keys %q, want %q", got, want)
		}
		if !list[1].CreatedAt.Equal(t0) || list[1].CreatedAt.Location() != time.UTC || list[1].RetiredAt != nil {
			t.Fatalf("key %+v", list[1])
		}
		at := t0.Add(2 * time.Hour)
		if err := keys.Retire(ctx, "ka", at); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"ka", "nope"} {
			if err := keys.Retire(ctx, id, at.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("retire %s: %v, want ErrNotFound", id, err)
			}
		}
		list, err = keys.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r := list[1].RetiredAt; r == nil || !r.Equal(at) {
			t.Fatalf("retired at %v, want %v (the first retirement)", r, at)
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

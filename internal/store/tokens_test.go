package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestTokens checks the API tokens' table: a hash recorded stays as it is
// (a revoked token does not come back), an active name is refused, a
// revoked one can be taken again, and revoking or reading what is not
// there is ErrNotFound.
func TestTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		add := func(hash, name string, at time.Time) (bool, error) {
			var added bool
			err := s.InTx(ctx, func(tx *store.Tx) error {
				var err error
				added, err = s.Tokens().On(tx).Add(ctx, store.TokenRecord{Hash: hash, Name: name, CreatedAt: at})
				return err
			})
			return added, err
		}
		tokens := s.Tokens()
		if added, err := add("h1", "ci", t0); !added || err != nil {
			t.Fatalf("add = %v, %v", added, err)
		}
		if _, err := add("h2", "ci", t0); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("add under an active name: %v, want ErrDuplicate", err)
		}
		if added, err := add("h1", "other", t0); added || err != nil {
			t.Fatalf("add a recorded hash = %v, %v, want false, nil", added, err)
		}
		if n, err := tokens.Active(ctx); n != 1 || err != nil {
			t.Fatalf("active = %d, %v", n, err)
		}
		rev := t0.Add(time.Minute)
		if err := tokens.Revoke(ctx, "ci", rev); err != nil {
			t.Fatal(err)
		}
		if err := tokens.Revoke(ctx, "ci", rev); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke again: %v, want ErrNotFound", err)
		}
		if added, err := add("h1", "ci", t0); added || err != nil {
			t.Fatalf("add a revoked hash = %v, %v, want false, nil", added, err)
		}
		if added, err := add("h3", "ci", t0.Add(time.Hour)); !added || err != nil {
			t.Fatalf("add under a revoked name = %v, %v", added, err)
		}
		r, err := tokens.Get(ctx, "h1")
		if err != nil || r.Name != "ci" || r.RevokedAt == nil || !r.RevokedAt.Equal(rev) || !r.CreatedAt.Equal(t0) {
			t.Fatalf("get = %+v, %v", r, err)
		}
		if _, err := tokens.Get(ctx, "h9"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get unknown: %v, want ErrNotFound", err)
		}
		list, err := tokens.List(ctx)
		if err != nil || len(list) != 2 || list[0].Hash != "h1" || list[1].Hash != "h3" || list[1].RevokedAt != nil {
			t.Fatalf("list = %+v, %v", list, err)
		}
	})
}

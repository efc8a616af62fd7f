package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestSessions checks the sessions' table: a session reads back as
// created, a touch only moves its last use forward, a revoked session
// stays revoked (and is no longer touched), revoking by subject ends
// every session of that subject alone, and purging deletes what can no
// longer be used.
func TestSessions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
		sess := s.Sessions()
		mk := func(id, subject string, expires time.Time) store.SessionRecord {
			r := store.SessionRecord{ID: id, SecretHash: "hash-" + id, Subject: subject, CreatedAt: t0, ExpiresAt: expires, LastSeenAt: t0}
			if err := sess.Create(ctx, r); err != nil {
				t.Fatalf("create %s: %v", id, err)
			}
			return r
		}
		a := mk("a", "token:ci", t0.Add(7*24*time.Hour))
		mk("b", "token:ci", t0.Add(7*24*time.Hour))
		mk("c", "token:ops", t0.Add(time.Hour))

		got, err := sess.Get(ctx, "a")
		if err != nil || got.SecretHash != a.SecretHash || got.Subject != a.Subject || !got.CreatedAt.Equal(t0) ||
			!got.ExpiresAt.Equal(a.ExpiresAt) || !got.LastSeenAt.Equal(t0) || got.RevokedAt != nil {
			t.Fatalf("get = %+v, %v", got, err)
		}
		if _, err := sess.Get(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get unknown: %v, want ErrNotFound", err)
		}

		later := t0.Add(5 * time.Minute)
		if ok, err := sess.Touch(ctx, "a", later); !ok || err != nil {
			t.Fatalf("touch = %v, %v", ok, err)
		}
		if ok, err := sess.Touch(ctx, "a", t0.Add(time.Minute)); ok || err != nil {
			t.Fatalf("touch back in time = %v, %v, want false", ok, err)
		}
		if got, _ := sess.Get(ctx, "a"); !got.LastSeenAt.Equal(later) {
			t.Fatalf("last seen = %v, want %v", got.LastSeenAt, later)
		}

		rev := t0.Add(10 * time.Minute)
		if err := sess.Revoke(ctx, "a", rev); err != nil {
			t.Fatal(err)
		}
		if err := sess.Revoke(ctx, "a", rev); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke twice: %v, want ErrNotFound", err)
		}
		if err := sess.Revoke(ctx, "nope", rev); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke unknown: %v, want ErrNotFound", err)
		}
		if ok, err := sess.Touch(ctx, "a", t0.Add(time.Hour)); ok || err != nil {
			t.Fatalf("touch a revoked session = %v, %v, want false", ok, err)
		}
		if got, _ := sess.Get(ctx, "a"); got.RevokedAt == nil || !got.RevokedAt.Equal(rev) {
			t.Fatalf("revoked at = %v, want %v", got.RevokedAt, rev)
		}

		if n, err := sess.RevokeSubject(ctx, "token:ci", rev); n != 1 || err != nil {
			t.Fatalf("revoke token:ci's sessions = %d, %v, want 1 (a is revoked already)", n, err)
		}
		if got, _ := sess.Get(ctx, "c"); got.RevokedAt != nil {
			t.Fatal("revoking token:ci's sessions revoked token:ops's")
		}

		// At t0+2h, idle since t0+3m: c is past its expiry, b was last
		// seen at t0; a, seen at t0+5m, stays.
		if n, err := sess.Purge(ctx, t0.Add(2*time.Hour), t0.Add(3*time.Minute)); n != 2 || err != nil {
			t.Fatalf("purge = %d, %v, want 2", n, err)
		}
		if _, err := sess.Get(ctx, "a"); err != nil {
			t.Fatalf("a, seen since, was purged: %v", err)
		}
		for _, id := range []string{"b", "c"} {
			if _, err := sess.Get(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s after the purge: %v, want ErrNotFound", id, err)
			}
		}
	})
}

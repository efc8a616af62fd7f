package keyring_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// nodes opens the same store as two nodes would: on PostgreSQL two
// stores on one schema at once; on the embedded store, whose file one
// process owns, the second opens after the first closed. first returns
// the first node's store, second the other's.
func nodes(t *testing.T, backend string) (first func() *store.Store, second func() *store.Store) {
	t.Helper()
	cfg := storetest.Config(t, backend)
	var a *store.Store
	open := func() *store.Store {
		t.Helper()
		s, err := store.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	first = func() *store.Store { a = open(); return a }
	second = func() *store.Store {
		if backend == "duckdb" {
			a.Close()
		}
		return open()
	}
	return first, second
}

func TestRingRotateRetire(t *testing.T) {
	t.Parallel()
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			first, second := nodes(t, backend)
			a := keyring.New(first())
			k1, err := a.Current(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if again, err := a.Current(ctx); err != nil || again.ID != k1.ID || len(k1.Secret) != 32 {
				t.Fatalf("current again = %v, %v; want %s", again.ID, err, k1.ID)
			}
			k2, err := a.Rotate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cur, _ := a.Current(ctx); cur.ID != k2.ID {
				t.Errorf("after rotation current = %s, want %s", cur.ID, k2.ID)
			}
			if err := a.Retire(ctx, k2.ID); !errors.Is(err, keyring.ErrCurrentKey) {
				t.Errorf("retire the current key: %v, want ErrCurrentKey", err)
			}
			legacy, err := a.Import(ctx, []byte("an old FANFARE_SECRET value"))
			if err != nil {
				t.Fatal(err)
			}
			if cur, _ := a.Current(ctx); cur.ID != k2.ID {
				t.Errorf("an imported key became current: %s", cur.ID)
			}

			// Another node sees the same ring: the same current key, the
			// old key still valid, the same subkeys.
			b := keyring.New(second())
			if cur, err := b.Current(ctx); err != nil || cur.ID != k2.ID {
				t.Fatalf("other node's current = %s, %v; want %s", cur.ID, err, k2.ID)
			}
			old, err := b.Get(ctx, k1.ID)
			if err != nil {
				t.Fatal(err)
			}
			d1, _ := k1.Derive("test", 32)
			d2, _ := old.Derive("test", 32)
			if string(d1) != string(d2) {
				t.Error("the other node derives another subkey from the same key")
			}
			if other, _ := old.Derive("other use", 32); string(other) == string(d1) {
				t.Error("two uses derive the same subkey")
			}
			if ls, err := b.Legacy(ctx); err != nil || len(ls) != 1 || ls[0].ID != legacy.ID {
				t.Errorf("legacy keys = %v, %v", ls, err)
			}
			if again, err := b.Import(ctx, []byte("an old FANFARE_SECRET value")); err != nil || again.ID != legacy.ID {
				t.Errorf("importing the same secret again = %v, %v", again.ID, err)
			}

			// Retirement: refused at once here, and the key stays retired.
			if err := b.Retire(ctx, k1.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Get(ctx, k1.ID); !errors.Is(err, keyring.ErrUnknownKey) {
				t.Errorf("retired key: %v, want ErrUnknownKey", err)
			}
			if err := b.Retire(ctx, k1.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("retire twice: %v, want ErrNotFound", err)
			}
			if _, err := b.Get(ctx, "k00000000"); !errors.Is(err, keyring.ErrUnknownKey) {
				t.Errorf("unknown key: %v", err)
			}
			list, err := b.List(ctx)
			if err != nil || len(list) != 3 || list[0].ID != k1.ID || list[0].RetiredAt == nil || list[1].RetiredAt != nil {
				t.Errorf("list = %+v, %v", list, err)
			}
		})
	}
}

// TestRingRefresh checks that a node sees a rotation made by another
// within Refresh, and a retirement too.
func TestRingRefresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Open(t, "postgres")
	s2, err := store.Open(ctx, store.Config{DatabaseURL: pgURL(t, s)})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a, b := keyring.New(s), keyring.New(s2)
	a.Now, b.Now = clock, clock
	k1, _ := a.Current(ctx)
	if cur, _ := b.Current(ctx); cur.ID != k1.ID {
		t.Fatalf("b current = %s", cur.ID)
	}
	now = now.Add(time.Second)
	k2, _ := a.Rotate(ctx)
	if err := a.Retire(ctx, k1.ID); err != nil {
		t.Fatal(err)
	}
	if cur, _ := b.Current(ctx); cur.ID != k1.ID {
		t.Errorf("b trusts its copy until Refresh passes: current = %s", cur.ID)
	}
	now = now.Add(keyring.DefaultRefresh - time.Second)
	if cur, _ := b.Current(ctx); cur.ID != k2.ID {
		t.Errorf("after Refresh, b's current = %s, want %s", cur.ID, k2.ID)
	}
	if _, err := b.Get(ctx, k1.ID); !errors.Is(err, keyring.ErrUnknownKey) {
		t.Errorf("after Refresh the retired key: %v", err)
	}
}

func pgURL(t *testing.T, s *store.Store) string {
	t.Helper()
	var schema string
	if err := storetest.DB(s).QueryRow(`SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	return storetest.PostgresURL() + "?search_path=" + schema
}

// A stale copy is read again by one caller; the others keep using it
// meanwhile, so that a slow read of the store (the embedded database's
// checkpoint, a lock) holds up no tracking request but the one reading.
func TestRingStaleCopyServesWhileOneReadsAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Open(t, "postgres")
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r := keyring.New(s)
	r.Now = func() time.Time { return now }
	k, err := r.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, k.ID); err != nil { // the copy
		t.Fatal(err)
	}
	now = now.Add(keyring.DefaultRefresh + time.Second)
	// The next read of the keyring waits for this lock.
	lock, err := storetest.DB(s).BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.ExecContext(ctx, `LOCK TABLE ff_keys IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	reading := make(chan error, 1)
	go func() {
		_, err := r.Get(ctx, k.ID)
		reading <- err
	}()
	for waiting := 0; waiting == 0; {
		if err := lock.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks WHERE relation = 'ff_keys'::regclass AND NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	got := make(chan error, 1)
	go func() {
		_, err := r.Get(ctx, k.ID)
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("second caller: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a second caller waited for the first one's read of the store")
	}
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-reading; err != nil {
		t.Fatalf("the caller reading again: %v", err)
	}
}

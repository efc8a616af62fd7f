package store_test

import (
	"context"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ms, err := store.Migrations(s.Dialect.Name())
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil || v != len(ms) {
			t.Fatalf("schema version = %d, %v; want %d", v, err, len(ms))
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		for _, table := range []string{"ff_model_versions", "ff_imports", "ff_import_rejects"} {
			ok, err := s.TableExists(ctx, storetest.DB(s), table)
			if err != nil || !ok {
				t.Errorf("table %s exists = %v, %v", table, ok, err)
			}
		}
	})
}

func TestRedactHidesPassword(t *testing.T) {
	got := store.Redact("postgres://bob:s3cret@db.example:5432/prod")
	if got != "postgres://bob:xxxxx@db.example:5432/prod" {
		t.Fatalf("Redact = %q", got)
	}
}

func TestSessionsWorkInUTC(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		var tz string
		if err := storetest.DB(s).QueryRow(`SELECT current_setting('TimeZone')`).Scan(&tz); err != nil {
			t.Fatal(err)
		}
		if tz != "UTC" {
			t.Fatalf("session time zone = %q, want UTC", tz)
		}
	})
}

// TestConcurrentOpensMigrateOnce starts several nodes on one PostgreSQL
// schema at once: each migration must be applied exactly once.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	t.Parallel()
	cfg := storetest.Config(t, "postgres")
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := store.Open(context.Background(), cfg)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}
	s, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ms, _ := store.Migrations("postgres")
	var n int
	if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_migrations`).Scan(&n); err != nil || n != len(ms) {
		t.Fatalf("ff_migrations rows = %d, %v; want %d", n, err, len(ms))
	}
}

// TestMemoryLimit: the embedded store takes a memory cap and refuses
// anything but a size (the value is spliced into a SET statement).
func TestMemoryLimit(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), MemoryLimit: "64MB"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got string
	if err := storetest.DB(s).QueryRow(`SELECT current_setting('memory_limit')`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "61.0 MiB" && got != "64.0 MB" {
		t.Errorf("memory_limit = %q", got)
	}
	for _, bad := range []string{"64", "lots", "1GB'; DROP TABLE x; --"} {
		if _, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), MemoryLimit: bad}); err == nil {
			t.Errorf("memory limit %q accepted", bad)
		}
	}
}

// TestOutboxKey: PostgreSQL keeps the outbox's primary key; the embedded
// store has none (0011_outbox_key.sql: DuckDB holds a key's index in memory).
func TestOutboxKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		q, want := `SELECT count(*) FROM pg_constraint WHERE conrelid = 'ff_outbox'::regclass AND contype = 'p'`, 1
		if s.Embedded() {
			q, want = `SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'ff_outbox' AND constraint_type = 'PRIMARY KEY'`, 0
		}
		var n int
		if err := storetest.DB(s).QueryRow(q).Scan(&n); err != nil || n != want {
			t.Fatalf("primary keys on the outbox = %d, %v; want %d", n, err, want)
		}
	})
}

// TestPing: both stores answer a ping.
func TestPing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPostgresKeepsItsConnections runs bursts of concurrent queries, as a
// dispatcher with many windows does: the connections opened by the first
// burst must serve the second, not be closed for want of idle slots.
func TestPostgresKeepsItsConnections(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "postgres")
	const n = 12
	burst := func() {
		ctx := context.Background()
		start := make(chan struct{})
		errs := make(chan error, n)
		for range n {
			go func() {
				<-start
				_, err := storetest.DB(s).ExecContext(ctx, `SELECT pg_sleep(0.05)`)
				errs <- err
			}()
		}
		close(start)
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
	burst()
	opened := storetest.DB(s).Stats()
	burst()
	st := storetest.DB(s).Stats()
	if st.MaxIdleClosed > 0 {
		t.Errorf("closed %d connections for want of idle slots, want 0", st.MaxIdleClosed)
	}
	if st.OpenConnections < opened.OpenConnections || st.Idle < n {
		t.Errorf("after two bursts of %d: %d open, %d idle (after the first: %d open); want the burst's connections kept", n, st.OpenConnections, st.Idle, opened.OpenConnections)
	}
}

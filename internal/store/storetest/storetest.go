// Package storetest gives tests a fresh, isolated store on every supported
// backend: a temporary DuckDB file, and a private schema in the PostgreSQL
// server named by FANFARE_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the pgx driver

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/rawdb"
)

// DefaultPostgresURL is the server CI provides.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test"

// Backends are the names Each runs, in order.
var Backends = []string{"duckdb", "postgres"}

// Each runs fn once per backend, each in a parallel subtest: the stores are
// private (a temporary DuckDB file, a private PostgreSQL schema), so the two
// backends run at once, and alongside the caller's other parallel tests. Each
// returns before fn runs, so it must be the caller's last statement, and fn
// must not use t.Setenv or t.Chdir (process-wide; the testing package refuses
// them in parallel tests).
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, b := range Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			fn(t, Open(t, b))
		})
	}
}

// DB returns a store's database handle, for tests and benchmarks that
// write or read what no store area does (see package rawdb).
func DB(s *store.Store) *sql.DB { return s.Raw(rawdb.Pass{}) }

// Open returns a fresh store of the named backend, removed when the test ends.
func Open(t testing.TB, backend string) *store.Store {
	t.Helper()
	cfg := Config(t, backend)
	s, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s store: %v", backend, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Config returns a store configuration for a fresh, private database of the
// named backend; the database is removed when the test ends.
func Config(t testing.TB, backend string) store.Config {
	t.Helper()
	switch backend {
	case "duckdb":
		return store.Config{DataDir: t.TempDir()}
	case "postgres":
		return store.Config{DatabaseURL: PostgresSchema(t)}
	}
	t.Fatalf("unknown backend %q", backend)
	return store.Config{}
}

var (
	pgOnce sync.Once
	pgErr  error
)

// PostgresURL returns the test server's URL.
func PostgresURL() string {
	if u := os.Getenv("FANFARE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// PostgresSchema creates a private schema in the test server and returns a
// URL whose search_path points at it. Outside CI the test is skipped, loudly,
// when the server cannot be reached; in CI (CI set) that is a failure.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := PostgresURL()
	pgOnce.Do(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
		}
		pgErr = err
	})
	if pgErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL at %s is not reachable and CI is set: %v", store.Redact(base), pgErr)
		}
		fmt.Fprintf(os.Stderr, "\n*** SKIPPING PostgreSQL tests: %s is not reachable (%v) ***\n\n", store.Redact(base), pgErr)
		t.Skipf("PostgreSQL not reachable at %s: %v", store.Redact(base), pgErr)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "fft_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Logf("drop test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OutboxStatuses counts a store's outbox messages by status.
func OutboxStatuses(t testing.TB, s *store.Store) map[string]int {
	t.Helper()
	rows, err := DB(s).Query(`SELECT status, count(*) FROM ff_outbox GROUP BY status`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			t.Fatal(err)
		}
		out[status] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

package store_test

import (
	"context"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
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
			ok, err := s.TableExists(ctx, s.DB, table)
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
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		var tz string
		if err := s.DB.QueryRow(`SELECT current_setting('TimeZone')`).Scan(&tz); err != nil {
			t.Fatal(err)
		}
		if tz != "UTC" {
			t.Fatalf("session time zone = %q, want UTC", tz)
		}
	})
}

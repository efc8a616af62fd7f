//go:build unix

package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestEmbeddedFilesArePrivate checks that the data directory, the DuckDB
// file and its write-ahead log are readable by their owner only, whether
// created now or left readable by an earlier version.
func TestEmbeddedFilesArePrivate(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	db := filepath.Join(dir, store.DuckDBFile)
	mode := func(path string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	open := func() *store.Store {
		t.Helper()
		s, err := store.Open(ctx, store.Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	// A write leaves a write-ahead log until the next checkpoint.
	if _, err := storetest.DB(s).ExecContext(ctx, `CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db + ".wal"); err != nil {
		t.Fatalf("no write-ahead log after a write: %v", err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, db: 0o600, db + ".wal": 0o600} {
		if got := mode(path); got != want {
			t.Errorf("%s is %v, want %v", filepath.Base(path), got, want)
		}
	}
	s.Close()

	// A file an earlier version made readable by the group is made private.
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	open().Close()
	if got := mode(db); got != 0o600 {
		t.Errorf("reopened %s is %v, want 0600", store.DuckDBFile, got)
	}
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store/rawdb"
)

// ErrNotFound is returned when a requested object does not exist.
var ErrNotFound = errors.New("not found")

// IsConflict reports a transaction conflict (DuckDB raises one when two
// transactions update the same row; PostgreSQL a serialization failure or
// a deadlock): the caller should retry, or tell its own caller that
// someone else won.
func IsConflict(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "Conflict") || strings.Contains(msg, "conflict") || strings.Contains(msg, "40001") || strings.Contains(msg, "40P01")
}

// ErrLimit is returned for a page larger than an operation serves; the
// message names its maximum (a silent cut would pass for the whole list).
var ErrLimit = errors.New("limit too large")

// ErrLocked is returned when the embedded database file is held by another
// process.
var ErrLocked = errors.New("the data directory is in use by another fanfare process")

// DuckDBFile is the name of the embedded database file inside the data
// directory.
const DuckDBFile = "fanfare.duckdb"

// Config says which database to open.
type Config struct {
	// DataDir holds the embedded DuckDB database; used when DatabaseURL is empty.
	DataDir string
	// DatabaseURL, when set, is a postgres:// URL.
	DatabaseURL string
	// LockWait is how long Open retries while another process holds the
	// embedded database file.
	LockWait time.Duration
	// MemoryLimit caps the embedded database's memory ("512MB", "2GB");
	// empty leaves DuckDB's default, 80 % of the machine's memory.
	MemoryLimit string
}

// memoryLimitRE is what MemoryLimit accepts (it is spliced into a SET
// statement, which takes no parameters).
var memoryLimitRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)? ?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`)

// Store is an open database with its dialect.
type Store struct {
	db      *sql.DB // every statement goes through an area (Raw: tests)
	Dialect Dialect
	// Location describes the database for logs and messages (never a password).
	Location string

	// jobClaims and runLocks serialise, on the embedded store, what row
	// locks serialise on PostgreSQL (rowLocks): claims of jobs,
	// and the coordinating transactions of each run (run id → *sync.Mutex).
	jobClaims sync.Mutex
	runLocks  sync.Map
	// rollMu: Events.Roll's folds.
	rollMu sync.Mutex
}

// Open opens (creating if needed) the configured database and applies
// pending migrations.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	var (
		s   *Store
		err error
	)
	if cfg.DatabaseURL != "" {
		s, err = openPostgres(ctx, cfg.DatabaseURL)
	} else {
		s, err = openDuckDBWithRetry(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func openDuckDBWithRetry(ctx context.Context, cfg Config) (*Store, error) {
	dir := cfg.DataDir
	if dir == "" {
		dir = "fanfare-data"
	}
	if cfg.MemoryLimit != "" && !memoryLimitRE.MatchString(cfg.MemoryLimit) {
		return nil, fmt.Errorf("memory limit %q: want a size such as 512MB or 2GB", cfg.MemoryLimit)
	}
	// The directory and every file in it hold customer data: readable by
	// the server's user only, like the API token.
	privateFiles()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, DuckDBFile)
	if err := restrictFiles(path, path+".wal"); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(cfg.LockWait)
	for {
		s, err := openDuckDB(ctx, path, cfg.MemoryLimit)
		if err == nil || !errors.Is(err, ErrLocked) || time.Now().After(deadline) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// restrictFiles makes existing database files (of an earlier version,
// created 0644) readable by their owner only.
func restrictFiles(paths ...string) error {
	for _, p := range paths {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("check %s: %w", p, err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return fmt.Errorf("make %s private: %w", p, err)
			}
		}
	}
	return nil
}

// Close releases the database.
func (s *Store) Close() error { return s.db.Close() }

// Embedded reports whether the store is the single-process DuckDB file.
func (s *Store) Embedded() bool { return s.Dialect.Name() == "duckdb" }

// Raw returns the database handle, for tests and benchmarks (they hold a
// rawdb.Pass; storetest.DB is the short way): to write rows no operation
// writes, to read what no area reads. Fanfare's own statements go through
// the store's areas.
func (s *Store) Raw(rawdb.Pass) *sql.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Quote quotes an identifier that has already been checked against the data
// model (or is one of Fanfare's own names). Both dialects use double quotes.
func Quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

// QuoteList quotes and comma-joins identifiers.
func QuoteList(idents []string) string {
	q := make([]string, len(idents))
	for i, id := range idents {
		q[i] = Quote(id)
	}
	return strings.Join(q, ", ")
}

// InTx runs fn in a transaction, committing when it returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(&Tx{tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Tx is a transaction InTx opened: an area bound to it (On(tx)) runs its
// operations inside it. InTx alone commits or rolls it back, so its
// holder can neither end it early nor keep it open.
type Tx struct{ tx *sql.Tx }

// ExecContext, QueryContext and QueryRowContext make a Tx a Querier.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, query, args...)
}

// TableExists reports whether a table of that name exists in the current
// schema.
func (s *Store) TableExists(ctx context.Context, q Querier, name string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, s.Dialect.TableExistsSQL(), name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up table %s: %w", name, err)
	}
	return n > 0, nil
}

// Querier is what *sql.DB, *sql.Tx, *sql.Conn and a Tx have in common.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

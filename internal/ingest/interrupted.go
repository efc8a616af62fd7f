package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// StatusInterrupted is an import whose process ended before it did (killed,
// or the machine stopped); the entity's table was left as it was, since
// the merge is one transaction.
const StatusInterrupted = "interrupted"

// ownerLock is the PostgreSQL advisory lock a running import's session
// holds (keys: this schema's imports, the import id). It ends with the
// session, so with the process, however the process ends: a running import
// whose lock is free has no owner any more. Heartbeats would need a lease
// long enough for a loaded node, and would leave a killed import running
// that long.
const ownerLock = `hashtext(current_schema() || '.ff_imports'), CAST($1 % 2147483647 AS INTEGER)`

// record inserts the import's row as running. On PostgreSQL the row and
// the owner's lock commit together, so no other node ever sees the row
// running without its owner.
func (im *importer) record(ctx context.Context) error {
	tx, err := im.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record import: %w", err)
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx,
		`INSERT INTO ff_imports (entity, source, status, started_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		im.e.Name, im.sum.Source, StatusRunning, time.Now().UTC()).Scan(&im.sum.ImportID)
	if err != nil {
		return fmt.Errorf("record import: %w", err)
	}
	if !im.s.Embedded() {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_lock(`+ownerLock+`)`, im.sum.ImportID); err != nil {
			return fmt.Errorf("record import's owner: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record import: %w", err)
	}
	return nil
}

// release lets go of the staging connection, and of the owner's lock
// once the import's outcome is recorded.
func (im *importer) release(ctx context.Context) {
	if im.conn == nil {
		return
	}
	if !im.s.Embedded() {
		_, _ = im.conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+ownerLock+`)`, im.sum.ImportID)
	}
	_ = im.conn.Close()
}

// MarkInterrupted records as interrupted the imports whose process ended
// before they did, and returns how many. On the embedded store that is
// every running import: the file has one process, the caller's, which has
// started none yet. On PostgreSQL, shared by nodes, it is those whose
// owner's lock is free.
func MarkInterrupted(ctx context.Context, s *store.Store) (int64, error) {
	now := time.Now().UTC()
	if s.Embedded() {
		res, err := s.DB.ExecContext(ctx, `UPDATE ff_imports SET status = $1, finished_at = $2 WHERE status = $3`, StatusInterrupted, now, StatusRunning)
		if err != nil {
			return 0, fmt.Errorf("mark interrupted imports: %w", err)
		}
		return res.RowsAffected()
	}
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("mark interrupted imports: %w", err)
	}
	defer conn.Close()
	ids, err := runningImports(ctx, conn)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, id := range ids {
		var free bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+ownerLock+`)`, id).Scan(&free); err != nil {
			return n, fmt.Errorf("check import %d's owner: %w", id, err)
		}
		if !free {
			continue
		}
		res, err := conn.ExecContext(ctx, `UPDATE ff_imports SET status = $1, finished_at = $2 WHERE id = $3 AND status = $4`, StatusInterrupted, now, id, StatusRunning)
		_, _ = conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+ownerLock+`)`, id)
		if err != nil {
			return n, fmt.Errorf("mark import %d interrupted: %w", id, err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}

func runningImports(ctx context.Context, conn *sql.Conn) ([]int64, error) {
	rows, err := conn.QueryContext(ctx, `SELECT id FROM ff_imports WHERE status = $1`, StatusRunning)
	if err != nil {
		return nil, fmt.Errorf("list running imports: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

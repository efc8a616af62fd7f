package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Import statuses the store itself sets; the others (completed, failed…)
// are the importer's, recorded by Finish.
const (
	ImportRunning     = "running"
	ImportInterrupted = "interrupted"
)

// Imports is the bookkeeping of imports: one ff_imports row per import,
// which its summary document completes, and ff_import_rejects, every
// problem of every rejected row. A running import on PostgreSQL is marked
// as alive by a lock its session holds (see Begin), so that a node can tell
// the imports of a process that died.
type Imports struct{ area }

// Imports returns the imports' area on the database.
func (s *Store) Imports() Imports { return Imports{s.area()} }

// On returns the same area bound to q (a transaction, a connection).
func (i Imports) On(q Querier) Imports { return Imports{i.area.on(q)} }

// ImportReject is one problem of one rejected row, as stored.
type ImportReject struct {
	Line   int64
	Column string
	Value  string
	Reason string
}

// ImportRecord is an import's row: what it loads, its status, the
// summary document recorded when it ended ("" until then), and its
// progress (rows and bytes of the file read, the file's size when known).
type ImportRecord struct {
	ID                     int64
	Entity, Source, Status string
	Summary                string
	StartedAt              time.Time
	FinishedAt             *time.Time
	Rows, Bytes, Size      int64
}

// importColumns are the columns scanRecord reads, in its order.
const importColumns = `i.id, i.entity, i.source, i.status, i.summary, i.started_at, i.finished_at,
	COALESCE(p.rows_read, 0), COALESCE(p.bytes_read, 0), COALESCE(p.size_bytes, 0)`

// importsFrom is what importColumns reads from.
const importsFrom = ` FROM ff_imports i LEFT JOIN ff_import_progress p ON p.import_id = i.id`

// scanRecord reads an import's row selected with importColumns.
func scanRecord(scan func(dest ...any) error) (ImportRecord, error) {
	var r ImportRecord
	var doc sql.NullString
	var finished sql.NullTime
	err := scan(&r.ID, &r.Entity, &r.Source, &r.Status, &doc, &r.StartedAt, &finished, &r.Rows, &r.Bytes, &r.Size)
	r.Summary = doc.String
	r.StartedAt = r.StartedAt.UTC()
	if finished.Valid {
		t := finished.Time.UTC()
		r.FinishedAt = &t
	}
	return r, err
}

// importOwnerKey is the key of the lock a running import's session holds:
// this schema's imports, and the import id ($1).
const importOwnerKey = `hashtext(current_schema() || '.ff_imports'), CAST($1 % 2147483647 AS INTEGER)`

// Begin records a running import of source into entity on conn, and
// returns its id. Where nodes share the database, conn's session also
// takes the import's owner lock in the same transaction, so no other node
// ever sees the row running without its owner; the lock ends with the
// session, so with the process, however the process ends (heartbeats would
// need a lease long enough for a loaded node, and would leave a killed
// import running that long). Release lets go of it.
func (i Imports) Begin(ctx context.Context, conn *sql.Conn, entity, source string, at time.Time) (int64, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO ff_imports (entity, source, status, started_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		entity, source, ImportRunning, at).Scan(&id)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ff_import_progress (import_id, rows_read, bytes_read, size_bytes) VALUES ($1, 0, 0, 0)`, id); err != nil {
		return 0, err
	}
	if lock, _, _ := i.d.SessionLockSQL(importOwnerKey); lock != "" {
		if _, err := tx.ExecContext(ctx, lock, id); err != nil {
			return 0, fmt.Errorf("take the import's owner lock: %w", err)
		}
	}
	return id, tx.Commit()
}

// Release lets go of the owner lock Begin took on conn, once the import's
// outcome is recorded.
func (i Imports) Release(ctx context.Context, conn *sql.Conn, id int64) error {
	if _, _, unlock := i.d.SessionLockSQL(importOwnerKey); unlock != "" {
		_, err := conn.ExecContext(ctx, unlock, id)
		return err
	}
	return nil
}

// Finish records how an import ended: its status and summary document.
func (i Imports) Finish(ctx context.Context, id int64, status string, at time.Time, summary string) error {
	_, err := i.exec(ctx, `UPDATE ff_imports SET status = $1, finished_at = $2, summary = $3 WHERE id = $4`, status, at, summary, id)
	return err
}

// Progress records how far a running import has read its file: rows and
// bytes so far, and the file's size (0: unknown). An import no longer
// running keeps what it had.
func (i Imports) Progress(ctx context.Context, id, rows, bytes, size int64) error {
	_, err := i.exec(ctx, `UPDATE ff_import_progress SET rows_read = $1, bytes_read = $2, size_bytes = $3
		WHERE import_id = $4 AND import_id IN (SELECT id FROM ff_imports WHERE id = $4 AND status = $5)`,
		rows, bytes, size, id, ImportRunning)
	return err
}

// Get returns an import's row, or ErrNotFound.
func (i Imports) Get(ctx context.Context, id int64) (ImportRecord, error) {
	r, err := scanRecord(i.q.QueryRowContext(ctx, `SELECT `+importColumns+importsFrom+` WHERE i.id = $1`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// List returns the latest imports, newest first, at most limit of them.
func (i Imports) List(ctx context.Context, limit int) ([]ImportRecord, error) {
	var out []ImportRecord
	err := i.each(ctx, func(rows *sql.Rows) error {
		r, err := scanRecord(rows.Scan)
		out = append(out, r)
		return err
	}, `SELECT `+importColumns+importsFrom+` ORDER BY i.id DESC LIMIT $1`, limit)
	return out, err
}

// rejectsBatch is how many rejects one INSERT writes.
const rejectsBatch = 500

// AddRejects records problems of an import's rejected rows.
func (i Imports) AddRejects(ctx context.Context, id int64, rejects []ImportReject) error {
	for len(rejects) > 0 {
		n := min(len(rejects), rejectsBatch)
		var sb strings.Builder
		args := make([]any, 0, n*5)
		sb.WriteString("INSERT INTO ff_import_rejects (import_id, line, col, value, reason) VALUES ")
		for k, rj := range rejects[:n] {
			if k > 0 {
				sb.WriteString(", ")
			}
			b := k * 5
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d)", b+1, b+2, b+3, b+4, b+5)
			args = append(args, id, rj.Line, rj.Column, rj.Value, rj.Reason)
		}
		if _, err := i.exec(ctx, sb.String(), args...); err != nil {
			return err
		}
		rejects = rejects[n:]
	}
	return nil
}

// addRejectsFrom records, set-based, one problem (column, reason) for each
// row of query, a SELECT of two columns: line (BIGINT) and value (text).
// It is how rows found by SQL (orphans of a link: Staging.RejectOrphans)
// are reported; query runs on the area's Querier, which must see the
// tables it reads. It returns how many rejects it recorded.
func (i Imports) addRejectsFrom(ctx context.Context, id int64, column, reason, query string) (int64, error) {
	return i.exec(ctx, `INSERT INTO ff_import_rejects (import_id, line, col, value, reason) SELECT $1, r.line, $2, r.value, $3 FROM (`+query+`) r`,
		id, column, reason)
}

// Rejects calls fn with every reject of an import, in line order.
func (i Imports) Rejects(ctx context.Context, id int64, fn func(ImportReject) error) error {
	return i.each(ctx, func(rows *sql.Rows) error {
		var rj ImportReject
		if err := rows.Scan(&rj.Line, &rj.Column, &rj.Value, &rj.Reason); err != nil {
			return err
		}
		return fn(rj)
	}, `SELECT line, col, value, reason FROM ff_import_rejects WHERE import_id = $1 ORDER BY line, col`, id)
}

// MarkInterrupted records as interrupted, at at, the imports whose process
// ended before they did, and returns how many. Where one process owns the
// database (DuckDB) that is every running import: the caller's process has
// started none yet. Where nodes share it, it is those whose owner lock is
// free.
func (i Imports) MarkInterrupted(ctx context.Context, at time.Time) (int64, error) {
	_, try, unlock := i.d.SessionLockSQL(importOwnerKey)
	if try == "" {
		return i.exec(ctx, `UPDATE ff_imports SET status = $1, finished_at = $2 WHERE status = $3`, ImportInterrupted, at, ImportRunning)
	}
	db, ok := i.q.(*sql.DB)
	if !ok {
		return 0, fmt.Errorf("mark interrupted imports: needs the database, not a transaction")
	}
	// A lock belongs to a session: take and free it on one connection.
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var ids []int64
	err = i.on(conn).each(ctx, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	}, `SELECT id FROM ff_imports WHERE status = $1`, ImportRunning)
	if err != nil {
		return 0, fmt.Errorf("list running imports: %w", err)
	}
	var n int64
	for _, id := range ids {
		var free bool
		if err := conn.QueryRowContext(ctx, try, id).Scan(&free); err != nil {
			return n, fmt.Errorf("check import %d's owner: %w", id, err)
		}
		if !free {
			continue
		}
		res, err := conn.ExecContext(ctx, `UPDATE ff_imports SET status = $1, finished_at = $2 WHERE id = $3 AND status = $4`, ImportInterrupted, at, id, ImportRunning)
		_, _ = conn.ExecContext(ctx, unlock, id)
		if err != nil {
			return n, fmt.Errorf("mark import %d interrupted: %w", id, err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
)

// The store owns the fixed SQL over Fanfare's own ff_* tables. It is split
// into areas (the outbox, jobs, runs, consent…), one file each, each a small
// value type with named operations:
//
//	st.Outbox().Counts(ctx, run)              // on the database
//	st.Outbox().On(tx).MarkSending(ctx, ids)  // inside a transaction
//
// A transaction is a Tx that InTx opens, hands to its function and ends:
// callers hold no *sql.Tx.
//
// An area holds the Querier it runs on and the dialect, so what differs
// between DuckDB and PostgreSQL is decided here, never by its callers. SQL
// generated from a user's documents (audience conditions, the activities
// over working tables) comes from the query compilers instead, through the
// Dialect's methods.

// area is what every area's operations run on.
type area struct {
	q Querier
	d Dialect
}

func (s *Store) area() area { return area{q: s.db, d: s.Dialect} }

// on is the same area bound to q (a transaction, a connection).
func (a area) on(q Querier) area { a.q = q; return a }

// row scans the single row query returns into dest; no row is ErrNotFound,
// the one place sql.ErrNoRows is translated.
func (a area) row(ctx context.Context, dest []any, query string, args ...any) error {
	err := a.q.QueryRowContext(ctx, query, args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// exec runs a statement and returns the rows it affected.
func (a area) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := a.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// each runs query and calls fn for every row, with rows positioned on it.
func (a area) each(ctx context.Context, fn func(rows *sql.Rows) error, query string, args ...any) error {
	rows, err := a.q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// eachLarge is each for a query that sorts or hashes a run's millions of
// rows: run with the dialect's LargeQuery, in a read-only transaction of
// its own unless the area is already in one.
func (a area) eachLarge(ctx context.Context, fn func(rows *sql.Rows) error, query string, args ...any) error {
	set := a.d.LargeQuery()
	if set == "" {
		return a.each(ctx, fn, query, args...)
	}
	db, ok := a.q.(*sql.DB)
	if !ok {
		if _, err := a.q.ExecContext(ctx, set); err != nil {
			return err
		}
		return a.each(ctx, fn, query, args...)
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, set); err != nil {
		return err
	}
	if err := a.on(tx).each(ctx, fn, query, args...); err != nil {
		return err
	}
	return tx.Commit()
}

// found runs query, which selects one text column, and returns the set of
// its values.
func (a area) found(ctx context.Context, query string, args ...any) (map[string]bool, error) {
	set := map[string]bool{}
	err := a.each(ctx, func(rows *sql.Rows) error {
		var v string
		if err := rows.Scan(&v); err != nil {
			return err
		}
		set[v] = true
		return nil
	}, query, args...)
	return set, err
}

// inTx runs fn on the area in a transaction of its own, committed when fn
// returns nil, or in the transaction the area is already in.
func (a area) inTx(ctx context.Context, fn func(a area) error) error {
	db, ok := a.q.(*sql.DB)
	if !ok {
		return fn(a)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(a.on(tx)); err != nil {
		return err
	}
	return tx.Commit()
}

package store

import (
	"context"
	"database/sql"
)

// Generated runs SQL the query compilers generated over the user's tables
// (an audience's count, breakdown, sample and export; the profiles a
// message renders): the statements are the compilers', the database
// access the store's.
type Generated struct{ area }

// Generated returns the area running generated SQL on the database.
func (s *Store) Generated() Generated { return Generated{s.area()} }

// On returns the same area bound to q (a transaction, a connection).
func (g Generated) On(q Querier) Generated { return Generated{g.area.on(q)} }

// Row scans the single row query returns into dest; no row is ErrNotFound.
func (g Generated) Row(ctx context.Context, query string, args []any, dest ...any) error {
	return g.row(ctx, dest, query, args...)
}

// Rows runs query and calls fn for each row with scan, which copies the
// row's columns into dest as database/sql's Rows.Scan does (an *any
// receives the driver's value, nil for NULL). An error of fn ends the
// rows and is returned as it is.
func (g Generated) Rows(ctx context.Context, query string, args []any, fn func(scan func(dest ...any) error) error) error {
	return g.each(ctx, func(rows *sql.Rows) error { return fn(rows.Scan) }, query, args...)
}

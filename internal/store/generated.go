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

// Exec runs a generated statement and returns the rows it affected.
func (g Generated) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return g.exec(ctx, query, args...)
}

// ResultColumn is a column of a query's result: its name, and its type as
// the database names it (DECIMAL(18,3), NUMERIC, VARCHAR…).
type ResultColumn struct {
	Name, DatabaseType string
}

// Results is Rows for a caller that needs the result's columns too (a
// SELECT * over a working table): fn gets them with each row.
func (g Generated) Results(ctx context.Context, query string, args []any, fn func(cols []ResultColumn, scan func(dest ...any) error) error) error {
	rows, err := g.q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cols []ResultColumn
	if types, err := rows.ColumnTypes(); err == nil {
		for _, t := range types {
			cols = append(cols, ResultColumn{Name: t.Name(), DatabaseType: t.DatabaseTypeName()})
		}
	} else {
		// The names alone: the caller treats an unknown type as text.
		names, err := rows.Columns()
		if err != nil {
			return err
		}
		for _, n := range names {
			cols = append(cols, ResultColumn{Name: n})
		}
	}
	for rows.Next() {
		if err := fn(cols, rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// TableColumns returns the columns of a table of the store's schema (a
// working table) in order, with their types as the catalog names them
// (information_schema's data_type); none when there is no such table.
func (g Generated) TableColumns(ctx context.Context, table string) ([]ResultColumn, error) {
	var cols []ResultColumn
	err := g.each(ctx, func(rows *sql.Rows) error {
		var c ResultColumn
		if err := rows.Scan(&c.Name, &c.DatabaseType); err != nil {
			return err
		}
		cols = append(cols, c)
		return nil
	}, `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	return cols, err
}

// DeactivateDevices sets active false on the rows of a device table whose
// token column holds one of tokens and that were active (or unknown): the
// push channel's answer to tokens its provider declared dead. table,
// token and active are names checked against the data model; it returns
// how many devices it changed.
func (g Generated) DeactivateDevices(ctx context.Context, table, token, active string, tokens []string) (int64, error) {
	a := Quote(active)
	return g.exec(ctx, `UPDATE `+Quote(table)+` SET `+a+` = false WHERE `+
		g.d.InList(Quote(token), 1, "VARCHAR")+` AND (`+a+` OR `+a+` IS NULL)`, tokens)
}

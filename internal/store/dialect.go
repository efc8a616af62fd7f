package store

import (
	"context"
	"database/sql"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// RowFunc returns the next row to load, or a nil row when there are no more.
type RowFunc func() ([]any, error)

// Dialect holds what differs between the supported databases. SQL that is
// the same on both is written once by the callers; placeholders are $1, $2…
// on both.
type Dialect interface {
	// Name is "duckdb" or "postgres".
	Name() string
	// ColumnType is the column type storing an attribute.
	ColumnType(a *datamodel.Attribute) string
	// PrimaryKeys reports whether customer tables carry a PRIMARY KEY
	// constraint. DuckDB's unique index costs 3× on bulk loads and nothing
	// reads it (joins are hash joins), so there the loader alone keeps
	// keys unique.
	PrimaryKeys() bool
	// IndexLinks reports whether link columns get an index.
	IndexLinks() bool
	// BulkLoad appends rows to an existing table by the fastest path the
	// database offers (DuckDB's appender, PostgreSQL's COPY) on conn.
	BulkLoad(ctx context.Context, conn *sql.Conn, table string, columns []string, next RowFunc) (int64, error)
	// TableExistsSQL takes the table name as $1 and returns a count.
	TableExistsSQL() string
	// AlterColumnTypeSQL changes a column's type, converting its values.
	AlterColumnTypeSQL(table, column, typ string) string
	// DeferIndexes drops a table's indexes and constraints inside tx before
	// a bulk insert into an empty table, and returns the statements that
	// rebuild them (building an index once is several times faster than
	// maintaining it row by row). Dialects without indexes return none.
	DeferIndexes(ctx context.Context, tx Querier, table string) (rebuild []string, err error)
	// LockMigrations holds a database-wide lock on conn while migrations
	// run, so nodes starting together apply each migration once.
	LockMigrations(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
	// InList is the condition "expr is one of the values bound to
	// parameter n", a slice of values of expr's type whose SQL type is elem
	// ([]string VARCHAR, []int64 BIGINT…): one parameter for any number of
	// values, where an IN list of placeholders costs a bind each (14 us on
	// DuckDB) and a plan per length (PostgreSQL), and stops at 65 535.
	InList(expr string, n int, elem string) string

	// --- imports (store/imports.go) ---

	// SessionLockSQL returns the statements that take, try (a boolean
	// result) and release a lock held by a database session until it ends,
	// on key, an SQL expression of the statement's parameters: how a node
	// tells the others that work it started is alive. All three are empty
	// where one process owns the database (DuckDB) and nothing needs telling.
	SessionLockSQL(key string) (lock, try, unlock string)

	// Compiled queries over the user's tables (audiences, profile loading).

	// BytewiseText reports whether text compares byte by byte, as Go's
	// strings do (DuckDB); PostgreSQL compares by the column's collation.
	BytewiseText() bool
	// Bytewise makes a text expression compare byte by byte: itself where
	// text already does, COLLATE "C" on PostgreSQL.
	Bytewise(expr string) string
	// LargeQuery is the statement that readies a transaction for a query
	// sorting or hashing millions of rows (a report over a run's events):
	// SET LOCAL work_mem on PostgreSQL, whose default of 4 MB spills
	// such a sort to disk; "" on DuckDB, which sizes its own memory.
	LargeQuery() string
	// SemiJoinMembers reports whether membership of a member table with a
	// one-column key is best written as an IN semi-join rather than a
	// LEFT JOIN to the table (whose keys are unique).
	SemiJoinMembers() bool
	// ExistsOverGroups reports whether a condition on groups of related
	// rows that a row without related rows fails (count(…) >= 2) is best
	// written as EXISTS over the groups passing it (HAVING) rather than as
	// a LEFT JOIN to those groups.
	ExistsOverGroups() bool
	// ArrayLists reports whether a compiled "expr IN (v1, v2…)" is best
	// bound as one array parameter (InList) rather than a placeholder per
	// value.
	ArrayLists() bool
}

func commonColumnType(a *datamodel.Attribute, text, decimal, json string) string {
	switch a.Type {
	case datamodel.TypeString, datamodel.TypeEnum:
		return text
	case datamodel.TypeInteger:
		return "BIGINT"
	case datamodel.TypeDecimal:
		p, s := a.DecimalShape()
		return decimalType(decimal, p, s)
	case datamodel.TypeBoolean:
		return "BOOLEAN"
	case datamodel.TypeDate:
		return "DATE"
	case datamodel.TypeTimestamp:
		return "TIMESTAMPTZ"
	case datamodel.TypeJSON:
		return json
	}
	return text
}

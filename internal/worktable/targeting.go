package worktable

import (
	"fmt"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// Build is the statement writing a query's rows of a dimension (their key
// columns) to port's table.
func (c *Compiler) Build(port, dimension, text string, where []byte) (Statement, error) {
	q, err := c.Query(dimension, text, where)
	if err != nil {
		return Statement{}, err
	}
	dim, err := c.entity(dimension)
	if err != nil {
		return Statement{}, err
	}
	query, args := q.SQL(keySelect(dim, q.Keys()), "")
	return c.create(port, dimension, query, args...), nil
}

// SinceColumn is the column of an incremental query's output holding the
// since attribute, until DropSince removes it.
const SinceColumn = "ff_since"

// Incremental is the statement writing, like Build, a query's rows with
// their since attribute (as SinceColumn) when it is past after (an
// argument of the attribute's type), or when it is set for a nil after.
func (c *Compiler) Incremental(port, dimension, text string, where []byte, since string, after any) (Statement, error) {
	q, err := c.Query(dimension, text, where)
	if err != nil {
		return Statement{}, err
	}
	dim, err := c.entity(dimension)
	if err != nil {
		return Statement{}, err
	}
	x, err := q.Column(since)
	if err != nil {
		return Statement{}, fmt.Errorf("since %q: %w", since, err)
	}
	sel := keySelect(dim, q.Keys()) + ", " + x + " AS " + SinceColumn
	cond := "q." + SinceColumn + " IS NOT NULL"
	if after != nil {
		cond = "q." + SinceColumn + " > " + q.Arg(after)
	}
	inner, args := q.SQL(sel, "")
	query := "SELECT " + columnList("q", quoteAll(dim.Key)) + ", q." + SinceColumn + " FROM (" + inner + ") q WHERE " + cond
	return c.create(port, dimension, query, args...), nil
}

// MaxSince selects the greatest since value of an incremental query's
// output (null when it has no rows).
func MaxSince(table string) string {
	return "SELECT max(" + SinceColumn + ") FROM " + store.Quote(table)
}

// DropSince removes the since column from an incremental query's output.
func DropSince(table string) string {
	return "ALTER TABLE " + store.Quote(table) + " DROP COLUMN " + SinceColumn
}

// Members is the statement copying the distinct keys of a saved audience's
// member table to port's table.
func (c *Compiler) Members(port, dimension, members string) (Statement, error) {
	keys, err := c.keyColumns(dimension)
	if err != nil {
		return Statement{}, err
	}
	return c.create(port, dimension, "SELECT DISTINCT "+columnList("m", keys)+" FROM "+store.Quote(members)+" m"), nil
}

// IsEmpty selects 0 when a working table has no rows, 1 otherwise.
func IsEmpty(table string) string {
	return "SELECT count(*) FROM (SELECT 1 FROM " + store.Quote(table) + " LIMIT 1) x"
}

// Drop drops a working table.
func Drop(table string) string { return "DROP TABLE " + store.Quote(table) }

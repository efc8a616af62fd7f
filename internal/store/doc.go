// Package store opens Fanfare's database — embedded DuckDB or PostgreSQL —
// behind one Dialect seam, and applies the versioned migrations of
// Fanfare's own tables.
//
// Everything Fanfare keeps lives in one database: the user's customer
// tables (named after the entities of the data model) and Fanfare's own
// tables, whose names all start with "ff_".
package store

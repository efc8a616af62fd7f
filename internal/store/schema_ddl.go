package store

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// The schema area's DDL: the statements that create and change customer
// tables. Names come from a validated model. Where the databases differ
// (column types, primary-key constraints and link indexes, which DuckDB
// does without: see the Dialect), a statement the dialect does not want is
// left out, and a builder may return none.

// ColumnType is the column type storing attribute a; two attributes with
// the same column type need no change of the table.
func (sc Schema) ColumnType(a *datamodel.Attribute) string { return sc.d.ColumnType(a) }

// CreateTable returns the statements creating an entity's table and, where
// the dialect wants them, its primary key and link indexes.
func (sc Schema) CreateTable(e *datamodel.Entity) []string {
	var cols []string
	for _, a := range e.Attributes {
		col := Quote(a.Name) + " " + sc.d.ColumnType(a)
		if e.IsKey(a.Name) {
			col += " NOT NULL"
		}
		cols = append(cols, col)
	}
	if sc.d.PrimaryKeys() {
		cols = append(cols, "CONSTRAINT "+Quote(pkName(e.Name))+" PRIMARY KEY ("+QuoteList(e.Key)+")")
	}
	stmts := []string{"CREATE TABLE " + Quote(e.Name) + " (\n  " + strings.Join(cols, ",\n  ") + "\n)"}
	for _, l := range e.DeclaredLinks() {
		stmts = append(stmts, sc.CreateLinkIndex(e.Name, l)...)
	}
	return stmts
}

// DropTable drops an entity's table.
func (sc Schema) DropTable(table string) string { return "DROP TABLE " + Quote(table) }

// AddColumn adds attribute a's column to a table.
func (sc Schema) AddColumn(table string, a *datamodel.Attribute) string {
	return "ALTER TABLE " + Quote(table) + " ADD COLUMN " + Quote(a.Name) + " " + sc.d.ColumnType(a)
}

// DropColumn drops a column of a table.
func (sc Schema) DropColumn(table, column string) string {
	return "ALTER TABLE " + Quote(table) + " DROP COLUMN " + Quote(column)
}

// RetypeColumn changes the type of attribute a's column to what a now
// is, converting its values.
func (sc Schema) RetypeColumn(table string, a *datamodel.Attribute) string {
	return sc.d.AlterColumnTypeSQL(table, a.Name, sc.d.ColumnType(a))
}

// ChangeKey returns the statements that move entity e's table from the
// key oldKey to e's: the old primary key dropped, NOT NULL moved from the
// old key columns that remain to the new ones, the new primary key added.
func (sc Schema) ChangeKey(e *datamodel.Entity, oldKey []string) []string {
	alter := "ALTER TABLE " + Quote(e.Name) + " "
	var stmts []string
	if sc.d.PrimaryKeys() {
		stmts = append(stmts, alter+"DROP CONSTRAINT IF EXISTS "+Quote(pkName(e.Name)))
	}
	for _, k := range oldKey {
		if !e.IsKey(k) && e.Attribute(k) != nil {
			stmts = append(stmts, alter+"ALTER COLUMN "+Quote(k)+" DROP NOT NULL")
		}
	}
	for _, k := range e.Key {
		if !slices.Contains(oldKey, k) {
			stmts = append(stmts, alter+"ALTER COLUMN "+Quote(k)+" SET NOT NULL")
		}
	}
	if sc.d.PrimaryKeys() {
		stmts = append(stmts, alter+"ADD CONSTRAINT "+Quote(pkName(e.Name))+" PRIMARY KEY ("+QuoteList(e.Key)+")")
	}
	return stmts
}

// CreateLinkIndex returns the statement indexing link l's columns, none
// where the dialect does not index links.
func (sc Schema) CreateLinkIndex(table string, l *datamodel.Link) []string {
	if !sc.d.IndexLinks() {
		return nil
	}
	return []string{"CREATE INDEX " + Quote(indexName(table, l.Name)) + " ON " + Quote(table) + " (" + QuoteList(l.Columns) + ")"}
}

// DropLinkIndex returns the statement dropping link l's index, none where
// the dialect does not index links.
func (sc Schema) DropLinkIndex(table string, l *datamodel.Link) []string {
	if !sc.d.IndexLinks() {
		return nil
	}
	return []string{"DROP INDEX IF EXISTS " + Quote(indexName(table, l.Name))}
}

// pkName names the primary key constraint of a customer table. The ff_
// prefix keeps it clear of entity names, which share PostgreSQL's relation
// namespace with indexes.
func pkName(table string) string { return shortName("ff_pk_" + table) }

func indexName(table, link string) string { return shortName("ff_ix_" + table + "__" + link) }

// shortName keeps a generated name within PostgreSQL's 63 bytes, with a
// hash so that truncated names stay distinct.
func shortName(s string) string {
	if len(s) <= 63 {
		return s
	}
	h := fnv.New32a()
	h.Write([]byte(s))
	return fmt.Sprintf("%s_%08x", s[:54], h.Sum32())
}

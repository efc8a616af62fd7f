package worktable

import (
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// FileColumn is a column of a file load_file reads: its name and data
// model type.
type FileColumn struct {
	Name string
	Type datamodel.Type
}

// FileTables returns the statements creating load_file's two empty
// tables: out, with the line the row came from (lineColumn) then the
// file's columns typed as declared (decimals as text, exact to the digit
// the file gave), and rejects, one row per refused value (line, column,
// value, reason).
func FileTables(d store.Dialect, out, rejects, lineColumn string, cols []FileColumn) []string {
	text := d.ColumnType(&datamodel.Attribute{Type: datamodel.TypeString})
	defs := []string{store.Quote(lineColumn) + " BIGINT"}
	for _, c := range cols {
		typ := text
		if c.Type != datamodel.TypeDecimal {
			typ = d.ColumnType(&datamodel.Attribute{Type: c.Type})
		}
		defs = append(defs, store.Quote(c.Name)+" "+typ)
	}
	return []string{
		"CREATE TABLE " + store.Quote(out) + " (" + strings.Join(defs, ", ") + ")",
		"CREATE TABLE " + store.Quote(rejects) + " (" + strings.Join([]string{
			store.Quote("line") + " BIGINT", store.Quote("column") + " " + text,
			store.Quote("value") + " " + text, store.Quote("reason") + " " + text,
		}, ", ") + ")",
	}
}

// RowsOfKeys selects every column of the rows of a working table whose
// key (the columns key, compared as text) is one of n keys. Its arguments
// are the keys' values in order, key after key: $1… for the first.
func RowsOfKeys(table string, key []string, n int) string {
	conds := make([]string, n)
	for i := range n {
		parts := make([]string, len(key))
		for j, col := range key {
			parts[j] = fmt.Sprintf("CAST(%s AS VARCHAR) = CAST($%d AS VARCHAR)", store.Quote(col), i*len(key)+j+1)
		}
		conds[i] = "(" + strings.Join(parts, " AND ") + ")"
	}
	return "SELECT * FROM " + store.Quote(table) + " WHERE " + strings.Join(conds, " OR ")
}

// Package worktable compiles the statements of the targeting activities
// (enrich, deduplicate, split, combine, change_dimension, reconcile,
// build_audience…) over a run's working tables, and the candidates a
// channel activity writes to the outbox. It is the second half of
// the one query compiler: conditions and attribute paths come from the
// audience compiler (audience.Compiled), and this package composes them
// into CREATE TABLE … AS SELECT statements, one per output, written once
// for both databases (what differs between them is in the conditions, which
// the audience compiler decides through store.Dialect). The engine asks for
// an activity's statements and runs them, in order, through the store.
//
// It lives beside package audience rather than in it because it reads the
// campaign's activity settings (package campaign), and campaign imports
// audience.
package worktable

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Compiler compiles the statements of one execution of one activity.
// Statements join a working table (alias w) to a derived table of its
// dimension (alias d) compiled by the audience compiler when they need the
// dimension's attributes, so attribute paths resolve through the same joins
// as in queries.
type Compiler struct {
	Model *datamodel.Model
	// Query compiles an audience query over a dimension given in the text
	// syntax or as a JSON tree (neither: every row), with the run's
	// parameters, clock and saved audiences.
	Query func(dimension, text string, where []byte) (*audience.Compiled, error)
	// Salt makes the activity's random orders: the same on every attempt,
	// independent between activities and runs.
	Salt string
	// Table names the working table of one of the activity's output ports.
	Table func(port string) string
}

// Input is a working table an activity reads.
type Input struct {
	From      string // the activity it comes from
	Table     string
	Dimension string   // "" for rows of a file
	Columns   []string // its columns; nil: the dimension's key
	Count     int64
}

// Statement creates the working table of one output port.
type Statement struct {
	Port      string
	Table     string
	Dimension string
	SQL       string
	Args      []any
}

// create is the statement creating port's table from a SELECT.
func (c *Compiler) create(port, dimension, query string, args ...any) Statement {
	t := c.Table(port)
	return Statement{Port: port, Table: t, Dimension: dimension, SQL: "CREATE TABLE " + store.Quote(t) + " AS " + query, Args: args}
}

// identRE matches the names an activity may give to new columns.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidName reports whether name may name a new column.
func ValidName(name string) bool { return identRE.MatchString(name) }

// entity returns a dimension's entity.
func (c *Compiler) entity(dimension string) (*datamodel.Entity, error) {
	e := c.Model.Entity(dimension)
	if e == nil {
		return nil, fmt.Errorf("unknown dimension %q", dimension)
	}
	return e, nil
}

// columns returns the quoted columns of an input's table, the key columns
// when the engine did not list them.
func (c *Compiler) columns(in Input) ([]string, error) {
	if len(in.Columns) > 0 {
		return quoteAll(in.Columns), nil
	}
	return c.keyColumns(in.Dimension)
}

// keyColumns returns the quoted key columns of a dimension.
func (c *Compiler) keyColumns(dimension string) ([]string, error) {
	ent, err := c.entity(dimension)
	if err != nil {
		return nil, err
	}
	return quoteAll(ent.Key), nil
}

// resolvePath checks an attribute path from a dimension.
func (c *Compiler) resolvePath(dim *datamodel.Entity, path string) (*datamodel.Attribute, error) {
	_, a, err := audience.ResolveAttr(c.Model, dim, path)
	if err != nil {
		return nil, fmt.Errorf("attribute %q: %w", path, err)
	}
	return a, nil
}

// keySelect aliases a compiled query's key expressions to the dimension's
// key attribute names, the columns every working table starts with.
func keySelect(dim *datamodel.Entity, exprs []string) string {
	parts := make([]string, len(exprs))
	for i, x := range exprs {
		parts[i] = x + " AS " + store.Quote(dim.Key[i])
	}
	return strings.Join(parts, ", ")
}

// sqlPart is a fragment of SQL with the arguments its $n placeholders
// stand for, numbered from 1.
type sqlPart struct {
	sql  string
	args []any
}

// dimView compiles a derived table over a dimension: its key columns under
// their own names, then one column ff_<i> per attribute path (through
// to-one links), for the rows matching the query text (everything when
// empty).
func (c *Compiler) dimView(dim *datamodel.Entity, where string, paths []string) (sqlPart, error) {
	q, err := c.Query(dim.Name, where, nil)
	if err != nil {
		return sqlPart{}, err
	}
	sel := keySelect(dim, q.Keys())
	for i, p := range paths {
		x, err := q.Column(p)
		if err != nil {
			return sqlPart{}, fmt.Errorf("attribute %q: %w", p, err)
		}
		sel += ", " + x + " AS " + viewCol(i)
	}
	query, args := q.SQL(sel, "")
	return sqlPart{sql: query, args: args}, nil
}

// viewCol names the i-th attribute column of a dimView.
func viewCol(i int) string { return "ff_" + strconv.Itoa(i) }

// placeholderRE finds $n placeholders.
var placeholderRE = regexp.MustCompile(`\$[0-9]+`)

// bind appends parts' arguments to args, renumbering each part's
// placeholders after the arguments already bound, and returns the parts'
// SQL in order. Quoted literals and identifiers are left alone.
func bind(args *[]any, parts ...sqlPart) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = shiftPlaceholders(p.sql, len(*args))
		*args = append(*args, p.args...)
	}
	return out
}

// shiftPlaceholders adds offset to every $n outside quotes.
func shiftPlaceholders(query string, offset int) string {
	if offset == 0 {
		return query
	}
	var b strings.Builder
	var quote byte
	start := 0
	flush := func(end int) {
		seg := query[start:end]
		if quote == 0 {
			seg = placeholderRE.ReplaceAllStringFunc(seg, func(m string) string {
				n, _ := strconv.Atoi(m[1:])
				return "$" + strconv.Itoa(n+offset)
			})
		}
		b.WriteString(seg)
		start = end
	}
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch {
		case quote == 0 && (ch == '\'' || ch == '"'):
			flush(i)
			quote = ch
		case quote != 0 && ch == quote:
			flush(i + 1)
			quote = 0
		}
	}
	flush(len(query))
	return b.String()
}

// whereSQL joins conditions into " WHERE … AND …", or nothing.
func whereSQL(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// keyJoin renders a.k = b.k AND … over quoted key columns.
func keyJoin(a, b string, keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = a + "." + k + " = " + b + "." + k
	}
	return strings.Join(parts, " AND ")
}

// columnList renders alias.col, … for quoted column names.
func columnList(alias string, cols []string) string {
	parts := make([]string, len(cols))
	for i, col := range cols {
		parts[i] = alias + "." + col
	}
	return strings.Join(parts, ", ")
}

// quoteAll quotes column names.
func quoteAll(cols []string) []string {
	out := make([]string, len(cols))
	for i, col := range cols {
		out[i] = store.Quote(col)
	}
	return out
}

// notIn is, for each table, the condition that it holds no row with the
// key of w's row.
func notIn(tables []string, keys []string) []string {
	conds := make([]string, len(tables))
	for i, t := range tables {
		a := "x" + strconv.Itoa(i)
		conds[i] = "NOT EXISTS (SELECT 1 FROM " + store.Quote(t) + " " + a + " WHERE " + keyJoin(a, "w", keys) + ")"
	}
	return conds
}

// hashOrder is a deterministic pseudo-random order of a working table's
// rows (alias.keys): the md5 of the key values and the salt (the run and
// the activity), so that a retried activity draws the same rows and two
// random activities of a run draw independently.
func (c *Compiler) hashOrder(alias string, keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = "CAST(" + alias + "." + k + " AS VARCHAR)"
	}
	return "md5(" + strings.Join(parts, " || '|' || ") + " || " + sqlString(c.Salt) + ")"
}

// sqlString renders a string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

package engine

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Helpers shared by the targeting activities. Every activity writes each of
// its outputs with one CREATE TABLE … AS SELECT; when a statement needs the
// dimension's attributes it joins the working table (alias w) to a derived
// table of the dimension (alias d) compiled by the audience compiler, so
// attribute paths resolve through the same joins as in queries.

// identRE matches the names an activity may give to new columns.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// entity returns a dimension's entity or an error naming the activity.
func (v *env) entity(dimension string) (*datamodel.Entity, error) {
	e := v.st.model.Entity(dimension)
	if e == nil {
		return nil, fmt.Errorf("%s: unknown dimension %q", v.act.ID, dimension)
	}
	return e, nil
}

// population returns the single input, which must carry rows.
func (v *env) population() (input, error) {
	in, err := v.only()
	if err != nil {
		return input{}, err
	}
	if in.Table == "" {
		return input{}, fmt.Errorf("%s needs a population, but its input %s carries none", v.act.ID, in.From)
	}
	return in, nil
}

// sqlPart is a fragment of SQL with the arguments its $n placeholders
// stand for, numbered from 1.
type sqlPart struct {
	sql  string
	args []any
}

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
		c := query[i]
		switch {
		case quote == 0 && (c == '\'' || c == '"'):
			flush(i)
			quote = c
		case quote != 0 && c == quote:
			flush(i + 1)
			quote = 0
		}
	}
	flush(len(query))
	return b.String()
}

// dimView compiles a derived table over a dimension: its key columns under
// their own names, then one column ff_<i> per attribute path (through
// to-one links), for the rows matching the query text (everything when
// empty).
func (v *env) dimView(dimension, where string, paths []string) (sqlPart, error) {
	q, err := v.query(dimension, where, nil)
	if err != nil {
		return sqlPart{}, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	c, err := v.compile(q)
	if err != nil {
		return sqlPart{}, fmt.Errorf("%s: %w", v.act.ID, err)
	}
	sel, err := v.keySelect(dimension, c.Keys())
	if err != nil {
		return sqlPart{}, err
	}
	for i, p := range paths {
		x, err := c.Column(p)
		if err != nil {
			return sqlPart{}, fmt.Errorf("%s: attribute %q: %w", v.act.ID, p, err)
		}
		sel += ", " + x + " AS " + viewCol(i)
	}
	query, args := c.SQL(sel, "")
	return sqlPart{sql: query, args: args}, nil
}

// viewCol names the i-th attribute column of a dimView.
func viewCol(i int) string { return "ff_" + strconv.Itoa(i) }

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
	for i, c := range cols {
		parts[i] = alias + "." + c
	}
	return strings.Join(parts, ", ")
}

// quoteAll quotes column names.
func quoteAll(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = store.Quote(c)
	}
	return out
}

// inputColumns returns the quoted columns of an input's table, the key
// columns when the engine did not list them.
func (v *env) inputColumns(in input) ([]string, error) {
	if len(in.Columns) > 0 {
		return quoteAll(in.Columns), nil
	}
	return v.keyColumns(in.Dimension)
}

// hashOrder is a deterministic pseudo-random order of a working table's
// rows (alias.keys): the md5 of the key values, the run and the activity,
// so that a retried activity draws the same rows and two random activities
// of a run draw independently.
func (v *env) hashOrder(alias string, keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = "CAST(" + alias + "." + k + " AS VARCHAR)"
	}
	salt := fmt.Sprintf(":%d:%s", v.st.run.ID, v.act.ID)
	return "md5(" + strings.Join(parts, " || '|' || ") + " || " + sqlString(salt) + ")"
}

// sqlString renders a string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// emptyLike selects no rows with the key columns of a table.
func emptyLike(table string, keys []string) string {
	return "SELECT " + columnList("e", keys) + " FROM " + store.Quote(table) + " e WHERE 1 = 0"
}

// resolvePath checks an attribute path from a dimension.
func (v *env) resolvePath(dim *datamodel.Entity, path string) (*datamodel.Attribute, error) {
	_, a, err := audience.ResolveAttr(v.st.model, dim, path)
	if err != nil {
		return nil, fmt.Errorf("%s: attribute %q: %w", v.act.ID, path, err)
	}
	return a, nil
}

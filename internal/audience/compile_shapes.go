package audience

import (
	"strconv"
	"strings"
)

// The shapes a compiled query is wrapped in by its callers: the breakdown
// of an audience by an attribute, and the rows of a one-to-many link a
// message loads for each recipient. Like SQL, each renders the whole
// statement, with every argument bound so far.

// Breakdown renders the query of the top values of expr (a column of the
// query, see Column) among its rows, most frequent first, nulls counted as
// one value and listed last: each value as convert(value) gives it, its
// count, and the count of every row (BIGINT). The raw value groups and
// sorts, so numbers and dates sort as such; convert applies only outside.
func (c *Compiled) Breakdown(expr string, convert func(string) string, top int) (string, []any) {
	inner, args := c.SQL(expr+" AS v, count(*) AS n", "GROUP BY "+expr)
	return "SELECT " + convert("b.v") + ", b.n, CAST(sum(b.n) OVER () AS BIGINT) FROM (" + inner + ") b" +
		" ORDER BY b.n DESC, b.v NULLS LAST LIMIT " + strconv.Itoa(top), args
}

// FirstPerGroup renders the query of the rows matching the query and
// tail ("AND …", a further condition): the columns exprs then groups, the
// rows ranked within each group (the values of groups) by order, the
// first limit of each group (0: every row), ordered by group and rank.
func (c *Compiled) FirstPerGroup(exprs, groups []string, order, tail string, limit int) (string, []any) {
	// Aliased columns c0…, group columns k0… and each row's rank within its
	// group, so a limit keeps the first rows of every group.
	list := make([]string, 0, len(exprs)+len(groups)+1)
	outer := make([]string, 0, len(exprs)+len(groups))
	for i, e := range exprs {
		a := "c" + strconv.Itoa(i)
		list = append(list, e+" AS "+a)
		outer = append(outer, "w."+a)
	}
	ks := make([]string, len(groups))
	for i, g := range groups {
		ks[i] = "w.k" + strconv.Itoa(i)
		list = append(list, g+" AS k"+strconv.Itoa(i))
		outer = append(outer, ks[i])
	}
	list = append(list, "row_number() OVER (PARTITION BY "+strings.Join(groups, ", ")+" ORDER BY "+order+") AS rn")
	inner, args := c.SQL(strings.Join(list, ", "), tail)
	q := "SELECT " + strings.Join(outer, ", ") + " FROM (" + inner + ") w"
	if limit > 0 {
		q += " WHERE w.rn <= " + strconv.Itoa(limit)
	}
	return q + " ORDER BY " + strings.Join(ks, ", ") + ", w.rn", args
}

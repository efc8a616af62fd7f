package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// reconcile turns the rows of a file into rows of a dimension: out holds
// the key of every row of the dimension whose attributes equal the columns
// of at least one file row (every pair of the match; a null matches
// nothing), each key once; unmatched holds the file rows that match no
// row, with their columns. Values are compared in their own types, so a
// file column must have a type comparable with its attribute's.
func reconcile(v *env) ([]output, error) {
	var s campaign.Reconcile
	if err := v.act.Decode(&s); err != nil {
		return nil, err
	}
	in, err := v.population()
	if err != nil {
		return nil, err
	}
	if in.Dimension != "" {
		return nil, fmt.Errorf("%s matches the rows of a file (from load_file), but %s gives rows of %s", v.act.ID, in.From, in.Dimension)
	}
	name := s.Dimension
	if name == "" {
		name = v.dimension()
	}
	dim, err := v.entity(name)
	if err != nil {
		return nil, err
	}
	if len(s.Match) == 0 {
		return nil, fmt.Errorf("%s: match lists no column: give [{column, attribute}]", v.act.ID)
	}
	fileTypes, err := v.fileColumnTypes(in.Table)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(s.Match))
	conds := make([]string, len(s.Match))
	for i, m := range s.Match {
		ft, ok := fileTypes[m.Column]
		if !ok {
			return nil, fmt.Errorf("%s: the file has no column %q (columns: %s)", v.act.ID, m.Column, strings.Join(sortedNames(fileTypes), ", "))
		}
		a, err := v.resolvePath(dim, m.Attribute)
		if err != nil {
			return nil, err
		}
		if ac := compareClass(a.Type); ac == "" || ac != compareClass(ft) {
			return nil, fmt.Errorf("%s: column %s is %s and attribute %s is %s: they cannot be compared; declare the column with the attribute's type in load_file", v.act.ID, m.Column, orUnknown(ft), m.Attribute, a.Type)
		}
		paths[i] = m.Attribute
		conds[i] = "d." + viewCol(i) + " = f." + store.Quote(m.Column)
	}
	view, err := v.dimView(dim.Name, "", paths)
	if err != nil {
		return nil, err
	}
	match := strings.Join(conds, " AND ")
	file := store.Quote(in.Table) + " f"
	// The dimension's view holds each key once, so a semi-join yields
	// each matched key once however many file rows match it.
	out := v.table("out")
	query := "SELECT " + columnList("d", quoteAll(dim.Key)) + " FROM (" + view.sql + ") d WHERE EXISTS (SELECT 1 FROM " + file + " WHERE " + match + ")"
	if err := v.createAs(out, query, view.args...); err != nil {
		return nil, err
	}
	unmatched := v.table(campaign.PortUnmatched)
	query = "SELECT f.* FROM " + file + " WHERE NOT EXISTS (SELECT 1 FROM (" + view.sql + ") d WHERE " + match + ")"
	if err := v.createAs(unmatched, query, view.args...); err != nil {
		return nil, err
	}
	return []output{
		{Port: "out", Table: out, Dimension: dim.Name},
		{Port: campaign.PortUnmatched, Table: unmatched},
	}, nil
}

// fileColumnTypes reads the data model type of every column of a working
// table of file rows from the catalog.
func (v *env) fileColumnTypes(table string) (map[string]datamodel.Type, error) {
	rows, err := v.e.store.DB.QueryContext(v.ctx, `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, fmt.Errorf("%s: columns of the file rows: %w", v.act.ID, err)
	}
	defer rows.Close()
	out := map[string]datamodel.Type{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		out[name] = sqlTypeOf(typ)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: the file rows' table %s is gone (cleaned up after the retention period?)", v.act.ID, table)
	}
	return out, nil
}

// sqlTypeOf maps a catalog data type, as DuckDB or PostgreSQL name it, to
// the data model type load_file stores in it ("" when none).
func sqlTypeOf(dataType string) datamodel.Type {
	t := strings.ToLower(dataType)
	switch {
	case strings.HasPrefix(t, "bigint"), strings.HasPrefix(t, "integer"), strings.HasPrefix(t, "smallint"):
		return datamodel.TypeInteger
	case strings.HasPrefix(t, "decimal"), strings.HasPrefix(t, "numeric"):
		return datamodel.TypeDecimal
	case strings.HasPrefix(t, "varchar"), strings.HasPrefix(t, "text"), strings.HasPrefix(t, "character"):
		return datamodel.TypeString
	case strings.HasPrefix(t, "boolean"):
		return datamodel.TypeBoolean
	case t == "date":
		return datamodel.TypeDate
	case strings.HasPrefix(t, "timestamp"):
		return datamodel.TypeTimestamp
	}
	return ""
}

// compareClass groups the types whose values SQL compares with each other
// exactly: text (string, enum), numbers (integer, decimal), and each other
// type on its own. json compares with nothing.
func compareClass(t datamodel.Type) string {
	switch t {
	case datamodel.TypeString, datamodel.TypeEnum:
		return "text"
	case datamodel.TypeInteger, datamodel.TypeDecimal:
		return "number"
	case datamodel.TypeBoolean, datamodel.TypeDate, datamodel.TypeTimestamp:
		return string(t)
	}
	return ""
}

func orUnknown(t datamodel.Type) string {
	if t == "" {
		return "of an unknown type"
	}
	return string(t)
}

func sortedNames(m map[string]datamodel.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

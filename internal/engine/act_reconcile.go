package engine

import (
	"fmt"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// reconcile turns the rows of a file (from load_file) into rows of a
// dimension (worktable's Reconcile), reading the file columns' types from
// the catalog.
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
	return v.run(v.compiler().Reconcile(dim.Name, s.Match, fileTypes, work(in)))
}

// fileColumnTypes reads the data model type of every column of a working
// table of file rows from the catalog.
func (v *env) fileColumnTypes(table string) (map[string]datamodel.Type, error) {
	cols, err := v.e.store.Generated().TableColumns(v.ctx, table)
	if err != nil {
		return nil, fmt.Errorf("%s: columns of the file rows: %w", v.act.ID, err)
	}
	out := map[string]datamodel.Type{}
	for _, c := range cols {
		out[c.Name] = sqlTypeOf(c.DatabaseType)
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

package schema

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// fakeDialect is PostgreSQL-like: primary keys and link indexes. The
// methods Diff does not call come from the nil Dialect it embeds.
type fakeDialect struct{ store.Dialect }

func (fakeDialect) Name() string                             { return "fake" }
func (fakeDialect) ColumnType(a *datamodel.Attribute) string { return strings.ToUpper(a.SQLType()) }
func (fakeDialect) PrimaryKeys() bool                        { return true }
func (fakeDialect) IndexLinks() bool                         { return true }
func (fakeDialect) TableExistsSQL() string                   { return "" }
func (fakeDialect) InList(string, int, string) string        { return "" }
func (fakeDialect) DeferIndexes(context.Context, store.Querier, string) ([]string, error) {
	return nil, nil
}
func (fakeDialect) LockMigrations(context.Context, *sql.Conn) (func(), error) {
	return func() {}, nil
}
func (fakeDialect) AlterColumnTypeSQL(table, column, typ string) string {
	return "RETYPE " + table + "." + column + " " + typ
}
func (fakeDialect) BulkLoad(context.Context, *sql.Conn, string, []string, store.RowFunc) (int64, error) {
	return 0, nil
}

func mustParse(t *testing.T, doc string) *datamodel.Model {
	t.Helper()
	m, err := datamodel.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func planText(p Plan) string {
	var b strings.Builder
	for _, c := range p.Changes {
		b.WriteString(c.Kind)
		if c.Destructive {
			b.WriteString("!")
		}
		b.WriteString("\n")
		for _, s := range c.SQL {
			b.WriteString("  " + s + "\n")
		}
	}
	return b.String()
}

func TestDiff(t *testing.T) {
	v1 := `entities:
  a:
    key: id
    attributes: {id: integer, x: string}
  b:
    key: id
    attributes: {id: integer, a_id: integer, a2: integer}
    links: {a: {entity: a, columns: [a_id], reverse: bs}}
`
	tests := []struct {
		name string
		old  string
		new  string
		want string
	}{
		{"fresh", "", v1, `create_entity
  CREATE TABLE "a" (
  "id" INTEGER NOT NULL,
  "x" STRING,
  CONSTRAINT "ff_pk_a" PRIMARY KEY ("id")
)
create_entity
  CREATE TABLE "b" (
  "id" INTEGER NOT NULL,
  "a_id" INTEGER,
  "a2" INTEGER,
  CONSTRAINT "ff_pk_b" PRIMARY KEY ("id")
)
  CREATE INDEX "ff_ix_b__a" ON "b" ("a_id")
`},
		{"same", v1, v1, ""},
		{"link columns change", v1, strings.Replace(v1, "columns: [a_id]", "columns: [a2]", 1), `change_link
  DROP INDEX IF EXISTS "ff_ix_b__a"
change_link
  CREATE INDEX "ff_ix_b__a" ON "b" ("a2")
`},
		{"drop link and its column", v1, strings.Replace(strings.Replace(v1, "    links: {a: {entity: a, columns: [a_id], reverse: bs}}\n", "", 1), "a_id: integer, ", "", 1), `drop_link
  DROP INDEX IF EXISTS "ff_ix_b__a"
drop_attribute!
  ALTER TABLE "b" DROP COLUMN "a_id"
`},
		{"drop entity", v1, v1[:strings.Index(v1, "  b:")], `drop_entity!
  DROP TABLE "b"
`},
		{"type change", v1, strings.Replace(v1, "x: string", `x: "decimal(5,1)"`, 1), `change_type!
  RETYPE a.x DECIMAL(5,1)
`},
		{"description only", v1, strings.Replace(v1, "  a:\n", "  a:\n    description: hi\n", 1), "update_model\n"},
		{"reorder only", v1, strings.Replace(v1, "{id: integer, x: string}", "{x: string, id: integer}", 1), "update_model\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var old *datamodel.Model
			if tc.old != "" {
				old = mustParse(t, tc.old)
			}
			got := planText(Diff(old, mustParse(t, tc.new), fakeDialect{}))
			if got != tc.want {
				t.Errorf("plan:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

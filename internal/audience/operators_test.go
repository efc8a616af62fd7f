package audience

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const operatorModelYAML = `
entities:
  rows:
    key: id
    attributes:
      id: integer
      s: string
      e: {type: enum, values: [a, b]}
      i: integer
      d: decimal(10,2)
      b: boolean
      dt: date
      ts: timestamp
      j: json
`

// operatorAttr names the attribute of each type in operatorModelYAML.
var operatorAttr = map[datamodel.Type]string{
	datamodel.TypeString: "s", datamodel.TypeEnum: "e", datamodel.TypeInteger: "i",
	datamodel.TypeDecimal: "d", datamodel.TypeBoolean: "b", datamodel.TypeDate: "dt",
	datamodel.TypeTimestamp: "ts", datamodel.TypeJSON: "j",
}

// operatorSample returns a valid value of kind k for an attribute of type
// t, as ParseJSON and ParseText give it.
func operatorSample(t *testing.T, k valueKind, typ datamodel.Type) any {
	one := map[datamodel.Type]any{
		datamodel.TypeString: "a", datamodel.TypeEnum: "a", datamodel.TypeInteger: json.Number("1"),
		datamodel.TypeDecimal: json.Number("1.5"), datamodel.TypeBoolean: true, datamodel.TypeDate: "2025-05-30",
		datamodel.TypeTimestamp: "2025-05-30T10:00:00Z",
	}[typ]
	switch k {
	case valueNone:
		return nil
	case valueOne:
		return one
	case valueList:
		return []any{one}
	case valuePair:
		return []any{one, one}
	case valueString:
		return "a"
	case valueDuration:
		return "7d"
	case valueWeekdays:
		return []any{"mon", "sat"}
	case valueDays:
		return json.Number("7")
	}
	t.Fatalf("no sample value of kind %d: add one here", k)
	return nil
}

// TestOperatorTable checks that every operator of the table is complete:
// it has a compiler, an evaluator, types, a kind of value Validate checks
// and a text form, and for every type it takes, a valid condition passes
// Validate, compiles, evaluates and reads back from its text form.
func TestOperatorTable(t *testing.T) {
	m, err := datamodel.Parse([]byte(operatorModelYAML))
	if err != nil {
		t.Fatal(err)
	}
	d := storetest.Open(t, "duckdb").Dialect
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	row := Row{
		"id": int64(1), "s": "a", "e": "b", "i": int64(2), "d": big.NewRat(5, 2), "b": false,
		"dt": time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC), "ts": now.Add(-time.Hour), "j": `{}`,
	}
	data := Dataset{"rows": {row, {"id": int64(2)}}}
	seen := map[string]bool{}
	for _, o := range operatorTable {
		t.Run(o.name, func(t *testing.T) {
			if seen[o.name] {
				t.Errorf("operator %q is in the table twice", o.name)
			}
			seen[o.name] = true
			switch {
			case o.compile == nil:
				t.Fatal("no compiler")
			case o.eval == nil:
				t.Fatal("no evaluator")
			case len(o.types) == 0:
				t.Fatal("no attribute types")
			case o.value == 0:
				t.Fatal("no kind of value")
			case o.text == "":
				t.Fatal("no text form")
			}
			for _, typ := range datamodel.Types {
				n := &Node{Attr: operatorAttr[typ], Op: o.name, Value: operatorSample(t, o.value, typ), CaseInsensitive: o.caseInsensitive}
				q := &Query{Dimension: "rows", Where: n, Now: now}
				err := Validate(m, q, nil)
				if !takesType(o.types, typ) {
					if err == nil || !strings.Contains(err.Error(), "does not apply") {
						t.Errorf("%s: Validate = %v, want a refusal of the type", typ, err)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: Validate: %v", typ, err)
					continue
				}
				checkRoundTrip(t, n)
				if _, err := Compile(m, d, q, nil); err != nil {
					t.Errorf("%s: Compile: %v", typ, err)
				}
				if _, err := Evaluate(m, data, q, nil); err != nil {
					t.Errorf("%s: Evaluate: %v", typ, err)
				}
			}
		})
	}
}

// TestOperatorConstantsInTable checks that every Op constant of query.go
// has an entry in the operator table.
func TestOperatorConstantsInTable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "query.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(x ast.Node) bool {
		vs, ok := x.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Op") || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.BasicLit)
		if !ok {
			return true
		}
		n++
		if op := strings.Trim(lit.Value, `"`); operators[op] == nil {
			t.Errorf("%s (%s) has no entry in operatorTable", vs.Names[0].Name, lit.Value)
		}
		return true
	})
	if n != len(operatorTable) {
		t.Errorf("query.go declares %d operators, the table holds %d", n, len(operatorTable))
	}
}

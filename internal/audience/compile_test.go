package audience

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

const shopModel = `
entities:
  customers:
    key: customer_id
    attributes:
      customer_id: integer
      country: string
      name: string
      household_id: integer
    links:
      household: {entity: households, columns: [household_id], reverse: members}
  households:
    key: household_id
    attributes:
      household_id: integer
      city: string
  products:
    key: product_id
    attributes:
      product_id: string
      category: string
  purchases:
    key: purchase_id
    attributes:
      purchase_id: integer
      customer_id: integer
      product_id: string
      amount: decimal(12,2)
      purchased_at: timestamp
    links:
      customer: {entity: customers, columns: [customer_id], reverse: purchases}
      product: {entity: products, columns: [product_id], reverse: purchases}
  orders:
    key: order_id
    attributes:
      order_id: integer
      customer_id: integer
    links:
      customer: {entity: customers, columns: [customer_id], reverse: orders}
  lines:
    key: [order_id, pos]
    attributes:
      order_id: integer
      pos: integer
      product_id: string
    links:
      basket: {entity: orders, columns: [order_id], reverse: lines}
      product: {entity: products, columns: [product_id], reverse: lines}
`

var shopNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// shopData is a small hand-made dataset for the docs' examples.
func shopData() Dataset {
	ago := func(days int) time.Time { return shopNow.AddDate(0, 0, -days) }
	dec := func(s string) *big.Rat { r, _ := new(big.Rat).SetString(s); return r }
	d := Dataset{
		"households": {{"household_id": int64(1), "city": "Lyon"}, {"household_id": int64(2), "city": "Gent"}},
		"products": {
			{"product_id": "s1", "category": "shoes"}, {"product_id": "s2", "category": "shoes"},
			{"product_id": "b1", "category": "bags"},
		},
	}
	for _, c := range []struct {
		id      int64
		country string
		house   any
	}{{1, "FR", int64(1)}, {2, "BE", int64(2)}, {3, "FR", int64(1)}, {4, "DE", nil}, {5, "BE", int64(2)}, {6, "FR", nil}} {
		d["customers"] = append(d["customers"], Row{"customer_id": c.id, "country": c.country, "name": fmt.Sprintf("c%d", c.id), "household_id": c.house})
	}
	purchase := func(id, customer int64, product string, amount string, at time.Time) {
		d["purchases"] = append(d["purchases"], Row{"purchase_id": id, "customer_id": customer, "product_id": product, "amount": dec(amount), "purchased_at": at})
	}
	purchase(1, 1, "s1", "120.00", ago(60)) // 1: two shoes in 90 days, none in 30 → in
	purchase(2, 1, "s2", "80.50", ago(45))
	purchase(3, 2, "s1", "300.00", ago(60)) // 2: two shoes, but one 10 days ago → out
	purchase(4, 2, "s1", "300.00", ago(10))
	purchase(5, 3, "s1", "99.99", ago(50)) // 3: one shoe → out
	purchase(6, 4, "s1", "10.00", ago(60)) // 4: DE → out
	purchase(7, 4, "s2", "10.00", ago(61))
	purchase(8, 5, "s1", "10.00", ago(100)) // 5: one of two too old → out
	purchase(9, 5, "s1", "10.00", ago(50))
	purchase(10, 6, "s1", "10.00", ago(50)) // 6: one is a bag → out
	purchase(11, 6, "b1", "10.00", ago(50))
	order := func(id, customer int64, products ...string) {
		d["orders"] = append(d["orders"], Row{"order_id": id, "customer_id": customer})
		for i, p := range products {
			d["lines"] = append(d["lines"], Row{"order_id": id, "pos": int64(i), "product_id": p})
		}
	}
	order(10, 1, "s1", "s2") // 1: an order with two shoe lines → in
	order(20, 2, "s1", "b1") // 2: one shoe line per order → out
	order(21, 2, "s2")
	order(30, 3, "s1", "b1", "s2") // 3: two shoes among three lines → in
	order(40, 4)                   // 4: an empty order → out
	return d
}

// setupShop applies the shop model to a fresh store and loads shopData.
func setupShop(t *testing.T, s *store.Store) (*datamodel.Model, Dataset) {
	t.Helper()
	if _, err := schema.Apply(context.Background(), s, []byte(shopModel), schema.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := datamodel.Parse([]byte(shopModel))
	if err != nil {
		t.Fatal(err)
	}
	data := shopData()
	for _, e := range m.Entities {
		insertRows(t, s, e, data[e.Name])
	}
	return m, data
}

func parseQuery(t *testing.T, js string) *Query {
	t.Helper()
	var n Node
	if err := json.Unmarshal([]byte(js), &n); err != nil {
		t.Fatal(err)
	}
	return &Query{Dimension: "customers", Where: &n, Now: shopNow}
}

// run compiles q, runs it and checks the result against the evaluator.
func run(t *testing.T, s *store.Store, m *datamodel.Model, data Dataset, q *Query) ([][]any, string) {
	t.Helper()
	c, err := Compile(m, s.Dialect, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	sqlText, args := c.SQL(strings.Join(c.Keys(), ", "), "")
	got, err := queryKeys(s, sqlText, args, 1)
	if err != nil {
		t.Fatalf("%s: %v", sqlText, err)
	}
	want, err := Evaluate(m, data, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("SQL %v, evaluator %v\nSQL: %s", got, want, sqlText)
	}
	return got, sqlText
}

func keys(ids ...int64) [][]any {
	out := [][]any{}
	for _, id := range ids {
		out = append(out, []any{id})
	}
	return out
}

func TestCompileDocsExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query string
		want  [][]any
	}{
		{"docs example", `{"and": [
			{"attr": "country", "op": "in", "value": ["FR", "BE"]},
			{"link": "purchases",
			 "where": {"and": [
			   {"attr": "purchased_at", "op": "within_last", "value": "90d"},
			   {"attr": "product.category", "op": "=", "value": "shoes"}]},
			 "count": {"op": ">=", "value": 2}},
			{"not": {"link": "purchases", "where": {"attr": "purchased_at", "op": "within_last", "value": "30d"}}}]}`,
			keys(1)},
		{"nested orders lines product", `{"link": "orders", "where":
			{"link": "lines", "where": {"attr": "product.category", "op": "=", "value": "shoes"}, "count": {"op": ">=", "value": 2}}}`,
			keys(1, 3)},
		{"sum", `{"link": "purchases", "aggregate": {"fn": "sum", "attr": "amount", "op": ">", "value": 200.5}}`, keys(2)},
		{"sum at the boundary", `{"link": "purchases", "aggregate": {"fn": "sum", "attr": "amount", "op": ">=", "value": 200.5}}`, keys(1, 2)},
		{"avg over nothing is null", `{"not": {"link": "orders", "aggregate": {"fn": "avg", "attr": "order_id", "op": ">", "value": 0}}}`, keys()},
		{"household members", `{"link": "household.members", "where": {"attr": "country", "op": "=", "value": "BE"}}`, keys(2, 5)},
		{"to-one path", `{"attr": "household.city", "op": "starts_with", "value": "ly", "case_insensitive": true}`, keys(1, 3)},
		{"empty or", `{"or": []}`, keys()},
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m, data := setupShop(t, s)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, sqlText := run(t, s, m, data, parseQuery(t, tt.query))
				if len(got) == 0 && len(tt.want) == 0 {
					return
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %v, want %v\nSQL: %s", got, tt.want, sqlText)
				}
			})
		}
	})
}

func TestCompileBindsValues(t *testing.T) {
	t.Parallel()
	evil := `'; DROP TABLE customers; --`
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m, data := setupShop(t, s)
		for _, op := range []string{OpEq, OpIn, OpContains, OpStartsWith, OpEndsWith, OpLt} {
			value := any(evil)
			if op == OpIn {
				value = []any{evil, "FR"}
			}
			q := &Query{Dimension: "customers", Now: shopNow, Where: &Node{Attr: "name", Op: op, Value: value}}
			_, sqlText := run(t, s, m, data, q)
			if strings.Contains(sqlText, "DROP") || strings.Contains(sqlText, evil) {
				t.Fatalf("%s: the value reached the SQL text: %s", op, sqlText)
			}
			if !strings.Contains(sqlText, `FROM "customers" t0`) || !strings.Contains(sqlText, `t0."name"`) {
				t.Fatalf("%s: identifiers not quoted: %s", op, sqlText)
			}
		}
		var n int
		if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM "customers"`).Scan(&n); err != nil || n != 6 {
			t.Fatalf("customers after the queries: %d rows, %v", n, err)
		}
	})
}

func TestCompileColumnReusesJoins(t *testing.T) {
	t.Parallel()
	m, err := datamodel.Parse([]byte(shopModel))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(m, storetest.Open(t, "duckdb").Dialect, &Query{Dimension: "customers",
		Where: &Node{Attr: "household.city", Op: OpEq, Value: "Lyon"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Column("household.city")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Column("household.household_id")
	sqlText, args := c.SQL(a+", "+b, "ORDER BY 1 LIMIT "+c.Arg(int64(10)))
	if strings.Count(sqlText, "LEFT JOIN") != 1 {
		t.Fatalf("want one join for household: %s", sqlText)
	}
	if len(args) != 2 || !strings.HasSuffix(sqlText, "LIMIT $2") {
		t.Fatalf("args %v, SQL %s", args, sqlText)
	}
	if _, err := c.Column("purchases"); err == nil {
		t.Fatal("a link is not a column")
	}
}

func TestCompileRefuses(t *testing.T) {
	t.Parallel()
	m, err := datamodel.Parse([]byte(shopModel))
	if err != nil {
		t.Fatal(err)
	}
	deep := &Node{Attr: "country", Op: OpEq, Value: "FR"}
	for i := 0; i < MaxDepth+1; i++ {
		deep = &Node{Not: deep}
	}
	tests := []struct {
		name string
		q    *Query
	}{
		{"unknown dimension", &Query{Dimension: "nope"}},
		{"unknown attribute", &Query{Dimension: "customers", Where: &Node{Attr: "nope", Op: OpEq, Value: "x"}}},
		{"unknown link", &Query{Dimension: "customers", Where: &Node{Link: "nope"}}},
		{"path through many", &Query{Dimension: "customers", Where: &Node{Attr: "purchases.amount", Op: OpEq, Value: 1.0}}},
		{"missing parameter", &Query{Dimension: "customers", Where: &Node{Attr: "country", Op: OpEq, Value: map[string]any{"param": "c"}}}},
		{"wrong type", &Query{Dimension: "customers", Where: &Node{Attr: "customer_id", Op: OpEq, Value: "x"}}},
		{"unknown operator", &Query{Dimension: "customers", Where: &Node{Attr: "country", Op: "~", Value: "x"}}},
		{"two forms", &Query{Dimension: "customers", Where: &Node{Attr: "country", Op: OpIsNull, Link: "purchases"}}},
		{"too deep", &Query{Dimension: "customers", Where: deep}},
		{"no audiences", &Query{Dimension: "customers", Where: &Node{Audience: "vip"}}},
		{"bad zone", &Query{Dimension: "customers", TimeZone: "Mars/Olympus"}},
		{"sum of text", &Query{Dimension: "customers", Where: &Node{Link: "purchases", Aggregate: &Aggregate{Fn: FnSum, Attr: "product_id", Op: OpGt, Value: 1.0}}}},
		{"nil child", &Query{Dimension: "customers", Where: &Node{And: []*Node{nil}}}},
	}
	d := storetest.Open(t, "duckdb").Dialect
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Compile(m, d, tt.q, nil); err == nil {
				t.Fatal("Compile accepted it")
			}
		})
	}
}

// TestInListGenericPlan: PostgreSQL runs a statement the driver prepared on
// a generic plan from its sixth execution, where "x IN ($1, $2)" builds the
// array ARRAY[$1, $2] again for every row (1.2–1.3× the hand-written
// literals on the audience benchmark). An IN list binds one array instead,
// which the generic plan reads as it is; the rows are the same.
func TestInListGenericPlan(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "postgres")
	m, data := setupShop(t, s)
	ctx := context.Background()
	for _, js := range []string{
		`{"attr": "country", "op": "in", "value": ["FR", "BE", "DE"]}`,
		`{"attr": "country", "op": "not_in", "value": ["FR", "BE"]}`,
		`{"link": "purchases", "where": {"attr": "amount", "op": "in", "value": [120, 80.5, 3.333]}}`,
		`{"link": "purchases", "where": {"attr": "purchased_at", "op": "not_in", "value": ["2024-03-01T10:00:00Z"]}}`,
		`{"attr": "household_id", "op": "in", "value": [1, 7]}`,
	} {
		q := parseQuery(t, js)
		run(t, s, m, data, q) // the rows the evaluator selects
		c, err := Compile(m, s.Dialect, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		sqlText, args := c.SQL("count(*)", "")
		conn, err := storetest.DB(s).Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, `PREPARE in_list AS `+sqlText); err != nil {
			t.Fatalf("%s: %v", sqlText, err)
		}
		// EXECUTE takes no bound parameters: the values as literals.
		lits := make([]string, len(args))
		for i, a := range args {
			lits[i] = pgLiteral(t, a)
		}
		var plan []string
		rows, err := conn.QueryContext(ctx, "EXPLAIN EXECUTE in_list("+strings.Join(lits, ", ")+")")
		if err != nil {
			t.Fatalf("%s: %v", sqlText, err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if _, err := conn.ExecContext(ctx, `DEALLOCATE in_list; RESET plan_cache_mode`); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		if p := strings.Join(plan, "\n"); strings.Contains(p, "ARRAY[") || !strings.Contains(p, "ANY ($") && !strings.Contains(p, "ALL ($") {
			t.Errorf("%s: the generic plan builds the list per row:\n%s\nSQL: %s", js, p, sqlText)
		}
	}
}

// pgLiteral writes an argument as a PostgreSQL literal of unknown type,
// which EXECUTE reads as its parameter's type.
func pgLiteral(t *testing.T, v any) string {
	t.Helper()
	text := func(v any) string {
		switch v := v.(type) {
		case string:
			return v
		case int64:
			return fmt.Sprint(v)
		case time.Time:
			return v.Format(time.RFC3339Nano)
		}
		t.Fatalf("no literal for %T", v)
		return ""
	}
	elems := func(n int, at func(int) any) string {
		var b []string
		for i := range n {
			b = append(b, `"`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(text(at(i)))+`"`)
		}
		return "{" + strings.Join(b, ",") + "}"
	}
	var s string
	switch v := v.(type) {
	case []string:
		s = elems(len(v), func(i int) any { return v[i] })
	case []int64:
		s = elems(len(v), func(i int) any { return v[i] })
	case []time.Time:
		s = elems(len(v), func(i int) any { return v[i] })
	default:
		s = text(v)
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

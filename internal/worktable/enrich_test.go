package worktable

import (
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/demo"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// demoCompiler compiles over the demo's model (the statements are only
// read, never run: the engine's tests run them on both stores).
func demoCompiler(t *testing.T) *Compiler {
	t.Helper()
	m, err := datamodel.Parse(demo.Model())
	if err != nil {
		t.Fatal(err)
	}
	d := storetest.Open(t, "duckdb").Dialect
	return &Compiler{
		Model: m,
		Query: func(dimension, text string, _ []byte) (*audience.Compiled, error) {
			q := &audience.Query{Dimension: dimension, Now: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)}
			if text != "" {
				n, err := audience.ParseText(text)
				if err != nil {
					return nil, err
				}
				q.Where = n
			}
			return audience.Compile(m, d, q, nil)
		},
		Salt:  ":1:a",
		Table: func(port string) string { return "ff_w_1_1_" + port },
	}
}

// The bench campaign's enrich, as an engineer writes it: the aggregates of
// one link and one where read the related rows once, joined on the
// population's key, without the dimension's table.
func TestEnrichScansRelatedRowsOnce(t *testing.T) {
	t.Parallel()
	c := demoCompiler(t)
	s := campaign.Enrich{Columns: []campaign.EnrichColumn{
		{Name: "spent", Link: "purchases", Aggregate: "sum", Attribute: "amount", Where: "purchased_at within last 365d"},
		{Name: "orders", Link: "purchases", Aggregate: "count", Where: "purchased_at within last 365d"},
		{Name: "all_orders", Link: "purchases", Aggregate: "count"},
	}}
	stmts, err := c.Enrich(s, Input{Table: "in", Dimension: "customers"})
	if err != nil {
		t.Fatal(err)
	}
	q := stmts[0].SQL
	if n := strings.Count(q, "GROUP BY"); n != 2 {
		t.Errorf("%d grouped tables, want 2 (one per link and where):\n%s", n, q)
	}
	if strings.Contains(q, `"customers"`) {
		t.Errorf("reads the dimension's table, which no column needs:\n%s", q)
	}
	if !strings.Contains(q, `g0.k0 = w."customer_id"`) {
		t.Errorf("not joined on the population's key:\n%s", q)
	}
	if len(stmts[0].Args) != 2 {
		t.Errorf("args = %v, want the window's two bounds", stmts[0].Args)
	}
}

package audience

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestPropertyCompileMatchesEvaluate generates random models, rows and
// queries and checks that the SQL compiled for each query selects exactly
// the rows the reference evaluator selects, on every store.
//
// FANFARE_PROP_SEED reproduces a run; FANFARE_PROP_N sets the number of
// random models (each with propQueries queries).
func TestPropertyCompileMatchesEvaluate(t *testing.T) {
	t.Parallel()
	seed := rand.Uint64()
	if s := os.Getenv("FANFARE_PROP_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("FANFARE_PROP_SEED: %v", err)
		}
		seed = v
	}
	models := 25
	if s := os.Getenv("FANFARE_PROP_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("FANFARE_PROP_N: want a positive number, got %q", s)
		}
		models = v
	}
	if testing.Short() {
		models = 2
	}
	t.Logf("seed %d (FANFARE_PROP_SEED=%d to reproduce), %d models × %d queries", seed, seed, models, propQueries)
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		checked, failed, partial := 0, 0, 0
		for i := 0; i < models && failed < 3; i++ {
			g := &gen{rng: rand.New(rand.NewPCG(seed, uint64(i))), id: i}
			m := g.model()
			doc := datamodel.Document(m)
			if _, err := schema.Apply(context.Background(), s, doc, schema.ApplyOptions{AllowDestructive: true}); err != nil {
				t.Fatalf("seed %d model %d: apply:\n%s\n%v", seed, i, doc, err)
			}
			m, err := datamodel.Parse(doc)
			if err != nil {
				t.Fatalf("seed %d model %d: parse: %v", seed, i, err)
			}
			g.m = m
			data := g.data()
			for _, e := range m.Entities {
				insertRows(t, s, e, data[e.Name])
			}
			auds, tables := g.audiences(t, s, data)
			for j := 0; j < propQueries && failed < 3; j++ {
				q := g.query()
				ok, n := checkQuery(t, s, m, data, q, auds, tables)
				if n > 0 && n < len(data[g.dim]) {
					partial++
				}
				if !ok {
					failed++
					t.Errorf("seed %d model %d query %d failed; model:\n%s", seed, i, j, doc)
				}
				checked++
			}
		}
		t.Logf("%s: %d random queries checked (%d selecting some but not all rows)", s.Dialect.Name(), checked, partial)
	})
}

const propQueries = 60

// checkQuery compares Compile+execute with Evaluate for one query.
// It returns whether they agree and how many rows the evaluator selected.
func checkQuery(t *testing.T, s *store.Store, m *datamodel.Model, data Dataset, q *Query, auds map[string][][]any, tables map[string]string) (bool, int) {
	t.Helper()
	js, _ := json.Marshal(q)
	want, err := Evaluate(m, data, q, auds)
	if err != nil {
		t.Errorf("evaluate %s: %v", js, err)
		return false, 0
	}
	c, err := Compile(m, s.Dialect, q, func(name string) (string, error) {
		if tb, ok := tables[name]; ok {
			return tb, nil
		}
		return "", fmt.Errorf("no audience %q", name)
	})
	if err != nil {
		t.Errorf("compile %s: %v", js, err)
		return false, len(want)
	}
	sqlText, args := c.SQL(strings.Join(c.Keys(), ", "), "")
	got, err := queryKeys(s, sqlText, args, len(c.Keys()))
	if err != nil {
		t.Errorf("run %s\nSQL: %s\nargs: %v\n%v", js, sqlText, args, err)
		return false, len(want)
	}
	missing, extra := diffKeys(want, got)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("%s: SQL and evaluator disagree\nquery: %s\nSQL: %s\nargs: %v\nevaluator only: %v\nSQL only: %v",
			s.Dialect.Name(), js, sqlText, args, missing, extra)
		return false, len(want)
	}
	return true, len(want)
}

func queryKeys(s *store.Store, sqlText string, args []any, n int) ([][]any, error) {
	rows, err := storetest.DB(s).QueryContext(context.Background(), sqlText, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals := make([]any, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			switch x := v.(type) {
			case int32:
				vals[i] = int64(x)
			case []byte:
				vals[i] = string(x)
			}
		}
		out = append(out, vals)
	}
	SortKeys(out)
	return out, rows.Err()
}

// diffKeys returns the tuples only in want and only in got (sorted inputs).
func diffKeys(want, got [][]any) (missing, extra [][]any) {
	cmp := func(a, b []any) int {
		for i := range a {
			if c := orderValues(a[i], b[i]); c != 0 {
				return c
			}
		}
		return 0
	}
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || (i < len(want) && cmp(want[i], got[j]) < 0):
			missing = append(missing, want[i])
			i++
		case i == len(want) || cmp(want[i], got[j]) > 0:
			extra = append(extra, got[j])
			j++
		default:
			i++
			j++
		}
	}
	return missing, extra
}

// insertRows loads rows with one parameterised INSERT per batch.
func insertRows(t testing.TB, s *store.Store, e *datamodel.Entity, rows []Row) {
	t.Helper()
	cols := make([]string, len(e.Attributes))
	for i, a := range e.Attributes {
		cols[i] = store.Quote(a.Name)
	}
	for start := 0; start < len(rows); start += 100 {
		end := min(start+100, len(rows))
		var tuples []string
		var args []any
		for _, r := range rows[start:end] {
			ph := make([]string, len(e.Attributes))
			for i, a := range e.Attributes {
				args = append(args, sqlValue(a, r[a.Name]))
				ph[i] = "CAST($" + strconv.Itoa(len(args)) + " AS " + s.Dialect.ColumnType(a) + ")"
			}
			tuples = append(tuples, "("+strings.Join(ph, ", ")+")")
		}
		q := "INSERT INTO " + store.Quote(e.Name) + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(tuples, ", ")
		if _, err := storetest.DB(s).ExecContext(context.Background(), q, args...); err != nil {
			t.Fatalf("insert into %s: %v", e.Name, err)
		}
	}
}

// sqlValue converts a typed value for binding.
func sqlValue(a *datamodel.Attribute, v any) any {
	switch x := v.(type) {
	case *big.Rat:
		_, scale := a.DecimalShape()
		return x.FloatString(scale)
	case time.Time:
		if a.Type == datamodel.TypeDate {
			return x.Format("2006-01-02")
		}
		return x.UTC()
	}
	return v
}

// gen generates one random model, its rows and queries over it.
type gen struct {
	rng  *rand.Rand
	id   int
	m    *datamodel.Model
	dim  string
	now  time.Time
	zone string
	loc  *time.Location
	next int // attribute and parameter numbering
}

var propNows = []string{
	"2025-03-09T06:30:00.123456Z", // US daylight saving starts
	"2024-02-29T12:00:00Z",
	"2024-12-31T23:59:59.999999Z",
	"2025-02-28T20:00:00Z", // already 1 March in Kolkata
	"2023-11-05T05:30:00Z",
	"2025-06-15T00:00:00Z",
}

var propZones = []string{"", "UTC", "America/New_York", "Asia/Kolkata", "Europe/Paris", "Pacific/Auckland"}

func (g *gen) pick(n int) int { return g.rng.IntN(n) }

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

// model builds people (the dimension, with a single integer, single string
// or composite key), optional households (people → household), orders
// (→ people) and lines (→ orders), each with random attributes.
func (g *gen) model() *datamodel.Model {
	g.now, _ = time.Parse(time.RFC3339Nano, propNows[g.pick(len(propNows))])
	g.zone = propZones[g.pick(len(propZones))]
	g.loc, _ = queryLocation(g.zone)
	p := fmt.Sprintf("m%d_", g.id)
	g.dim = p + "people"
	people := &datamodel.Entity{Name: g.dim}
	var keyAttrs []*datamodel.Attribute
	switch g.pick(3) {
	case 0:
		keyAttrs = []*datamodel.Attribute{{Name: "id", Type: datamodel.TypeInteger}}
	case 1:
		keyAttrs = []*datamodel.Attribute{{Name: "code", Type: datamodel.TypeString}}
	default:
		keyAttrs = []*datamodel.Attribute{{Name: "region", Type: datamodel.TypeString}, {Name: "num", Type: datamodel.TypeInteger}}
	}
	for _, a := range keyAttrs {
		people.Attributes = append(people.Attributes, a)
		people.Key = append(people.Key, a.Name)
	}
	g.attributes(people)
	m := &datamodel.Model{Entities: []*datamodel.Entity{people}}
	withHouse, withOrders := g.chance(0.6), g.chance(0.8)
	if !withHouse && !withOrders {
		withOrders = true
	}
	if withHouse {
		h := &datamodel.Entity{Name: p + "households", Key: []string{"hid"},
			Attributes: []*datamodel.Attribute{{Name: "hid", Type: datamodel.TypeInteger}}}
		g.attributes(h)
		people.Attributes = append(people.Attributes, &datamodel.Attribute{Name: "hid", Type: datamodel.TypeInteger})
		people.Links = append(people.Links, &datamodel.Link{Name: "household", Entity: h.Name, Columns: []string{"hid"}, ReverseName: "members"})
		m.Entities = append(m.Entities, h)
	}
	if withOrders {
		o := &datamodel.Entity{Name: p + "orders", Key: []string{"oid"},
			Attributes: []*datamodel.Attribute{{Name: "oid", Type: datamodel.TypeInteger}}}
		var cols []string
		for _, ka := range keyAttrs {
			c := "person_" + ka.Name
			o.Attributes = append(o.Attributes, &datamodel.Attribute{Name: c, Type: ka.Type})
			cols = append(cols, c)
		}
		o.Links = append(o.Links, &datamodel.Link{Name: "person", Entity: g.dim, Columns: cols, ReverseName: "orders"})
		g.attributes(o)
		m.Entities = append(m.Entities, o)
		if g.chance(0.7) {
			l := &datamodel.Entity{Name: p + "lines", Key: []string{"order_id", "pos"},
				Attributes: []*datamodel.Attribute{{Name: "order_id", Type: datamodel.TypeInteger}, {Name: "pos", Type: datamodel.TypeInteger}},
				Links:      []*datamodel.Link{{Name: "basket", Entity: o.Name, Columns: []string{"order_id"}, ReverseName: "lines"}}}
			g.attributes(l)
			m.Entities = append(m.Entities, l)
		}
	}
	return m
}

var propTypes = []datamodel.Type{datamodel.TypeString, datamodel.TypeInteger, datamodel.TypeDecimal,
	datamodel.TypeBoolean, datamodel.TypeDate, datamodel.TypeTimestamp, datamodel.TypeEnum}

func (g *gen) attributes(e *datamodel.Entity) {
	n := 3 + g.pick(4)
	for i := 0; i < n; i++ {
		typ := propTypes[g.pick(len(propTypes))]
		g.next++
		a := &datamodel.Attribute{Name: fmt.Sprintf("%s%d", typ[:3], g.next), Type: typ}
		switch typ {
		case datamodel.TypeDecimal:
			if g.chance(0.3) {
				break // default (18,2)
			}
			a.Scale = g.pick(4)
			a.Precision = a.Scale + 6 + g.pick(6)
		case datamodel.TypeEnum:
			a.Values = []string{"red", "green", "Red", "blue_1", "b%"}
		}
		e.Attributes = append(e.Attributes, a)
	}
}

// data generates rows: few distinct values so that ties are common, values
// on every boundary the queries use, nulls, dangling and null links.
func (g *gen) data() Dataset {
	d := Dataset{}
	people := g.m.Entity(g.dim)
	nPeople := 10 + g.pick(15)
	var personKeys [][]any
	for i := 0; i < nPeople; i++ {
		r := Row{}
		switch len(people.Key) {
		case 2:
			r["region"] = []string{"north", "south", "it's", "50%"}[i%4]
			r["num"] = int64(i / 4)
		default:
			if people.Key[0] == "id" {
				r["id"] = int64(i + 1)
			} else {
				r["code"] = fmt.Sprintf("c%d_%s", i, []string{"x", "%", "'", ""}[i%4])
			}
		}
		key := make([]any, len(people.Key))
		for k, name := range people.Key {
			key[k] = r[name]
		}
		personKeys = append(personKeys, key)
		d[people.Name] = append(d[people.Name], r)
	}
	var houses []any
	if h := g.m.Entity(fmt.Sprintf("m%d_households", g.id)); h != nil {
		for i := 0; i < 3+g.pick(5); i++ {
			houses = append(houses, int64(i+1))
			d[h.Name] = append(d[h.Name], Row{"hid": int64(i + 1)})
		}
	}
	for _, r := range d[people.Name] {
		if len(houses) > 0 {
			r["hid"] = g.ref(houses)
		}
	}
	if o := g.m.Entity(fmt.Sprintf("m%d_orders", g.id)); o != nil {
		n := g.pick(3 * nPeople)
		var ids []any
		for i := 0; i < n; i++ {
			r := Row{"oid": int64(i + 1)}
			ids = append(ids, int64(i+1))
			switch x := g.chance(0.1); {
			case x:
				for _, ka := range people.Key {
					r["person_"+ka] = nil
				}
			default:
				key := personKeys[g.pick(len(personKeys))]
				for k, ka := range people.Key {
					r["person_"+ka] = key[k]
				}
				if g.chance(0.05) {
					r["person_"+people.Key[0]] = nil // half a key matches nothing
				}
			}
			d[o.Name] = append(d[o.Name], r)
		}
		if l := g.m.Entity(fmt.Sprintf("m%d_lines", g.id)); l != nil {
			for i := 0; i < g.pick(2*n+1); i++ {
				oid := g.ref(ids)
				if oid == nil {
					oid = int64(999) // part of the key: dangle instead
				}
				d[l.Name] = append(d[l.Name], Row{"order_id": oid, "pos": int64(i)})
			}
		}
	}
	for _, e := range g.m.Entities {
		for _, r := range d[e.Name] {
			for _, a := range e.Attributes {
				if _, set := r[a.Name]; set || e.IsKey(a.Name) {
					continue
				}
				if g.chance(0.15) {
					r[a.Name] = nil
					continue
				}
				r[a.Name] = g.value(a)
			}
		}
	}
	return d
}

// ref picks a referenced key, sometimes null or dangling.
func (g *gen) ref(keys []any) any {
	switch {
	case len(keys) == 0 || g.chance(0.1):
		return nil
	case g.chance(0.05):
		return int64(1000)
	}
	return keys[g.pick(len(keys))]
}

var propStrings = []string{"", "a", "A", "ab", "abc", "Abc", "b", "a%c", "abc%", "a_c", "it's", "50%", `x'y"z`, "%", "_", "--", `a\b`, "'; DROP TABLE x; --", "zz"}

var propDurations = []Duration{{90, "min"}, {2, "h"}, {36, "h"}, {1, "d"}, {7, "d"}, {30, "d"}, {2, "w"}, {1, "mo"}, {3, "mo"}, {1, "y"}}

// value returns a random typed value of a's type.
func (g *gen) value(a *datamodel.Attribute) any {
	switch a.Type {
	case datamodel.TypeString:
		return propStrings[g.pick(len(propStrings))]
	case datamodel.TypeEnum:
		return a.Values[g.pick(len(a.Values))]
	case datamodel.TypeBoolean:
		return g.chance(0.5)
	case datamodel.TypeInteger:
		return []int64{-3, -1, 0, 1, 2, 3, 5, 10, 100, 1 << 40}[g.pick(10)]
	case datamodel.TypeDecimal:
		p, s := a.DecimalShape()
		unit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil)
		units := int64(g.pick(41) - 20)
		if g.chance(0.2) && p-s > 4 {
			units *= 1000
		}
		return new(big.Rat).SetFrac(big.NewInt(units), unit)
	case datamodel.TypeDate:
		y, m, d := g.date().Date() // a 90min shift leaves a time of day
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	case datamodel.TypeTimestamp:
		return g.timestamp()
	}
	return nil
}

func (g *gen) date() time.Time {
	today := todayIn(g.now, g.loc)
	switch g.pick(5) {
	case 0:
		return today.AddDate(0, 0, g.pick(81)-40)
	case 1:
		return propDurations[g.pick(len(propDurations))].Shift(today, []int{-1, 1}[g.pick(2)])
	case 2:
		return []time.Time{
			time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(1996, 2, 29, 0, 0, 0, 0, time.UTC),
			time.Date(1999, 2, 28, 0, 0, 0, 0, time.UTC), time.Date(1990, 3, 1, 0, 0, 0, 0, time.UTC),
			time.Date(1985, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		}[g.pick(6)]
	case 3: // an anniversary near today
		d := today.AddDate(0, 0, g.pick(20)-3)
		return time.Date(1950+g.pick(60), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	}
	return today.AddDate(-g.pick(4), 0, g.pick(800)-400)
}

func (g *gen) timestamp() time.Time {
	sign := []int{-1, 1}[g.pick(2)]
	local := g.now.In(g.loc)
	switch g.pick(5) {
	case 0: // exactly on a within_last/within_next boundary, or a microsecond off
		t := propDurations[g.pick(len(propDurations))].Shift(local, sign).UTC()
		return t.Add(time.Duration(g.pick(3)-1) * time.Microsecond)
	case 1:
		return g.now.Add(time.Duration(g.pick(3)-1) * time.Microsecond)
	case 2: // local midnights, around which day_of_week turns
		y, m, d := local.Date()
		return time.Date(y, m, d+g.pick(9)-4, 0, 0, 0, 0, g.loc).Add(time.Duration(g.pick(3)-1) * time.Microsecond).UTC()
	case 3:
		return time.Date(2024, 1, 15, 9, 30, 0, 0, time.UTC).Add(time.Duration(g.pick(3)-1) * time.Hour)
	}
	return g.now.Add(time.Duration(sign*g.pick(200*24*3600)) * time.Second)
}

// audiences saves a random subset of the people as audience "vip".
func (g *gen) audiences(t *testing.T, s *store.Store, data Dataset) (map[string][][]any, map[string]string) {
	people := g.m.Entity(g.dim)
	table := fmt.Sprintf("ff_prop_vip_%d", g.id)
	cols := make([]string, len(people.Key))
	for i, k := range people.Key {
		cols[i] = store.Quote(k) + " " + s.Dialect.ColumnType(people.Attribute(k))
	}
	if _, err := storetest.DB(s).Exec("CREATE TABLE " + store.Quote(table) + " (" + strings.Join(cols, ", ") + ")"); err != nil {
		t.Fatalf("create audience table: %v", err)
	}
	members := &datamodel.Entity{Name: table, Attributes: people.KeyAttributes(), Key: people.Key}
	var rows []Row
	var keys [][]any
	for _, r := range data[people.Name] {
		if g.chance(0.4) {
			rows = append(rows, r)
			key := make([]any, len(people.Key))
			for i, k := range people.Key {
				key[i] = r[k]
			}
			keys = append(keys, key)
		}
	}
	insertRows(t, s, members, rows)
	return map[string][][]any{"vip": keys}, map[string]string{"vip": table}
}

// query generates a random query over the dimension.
func (g *gen) query() *Query {
	q := &Query{Dimension: g.dim, Now: g.now, TimeZone: g.zone, Params: map[string]any{}}
	if g.chance(0.05) {
		return q
	}
	q.Where = g.node(q, g.m.Entity(g.dim), 0)
	return q
}

func (g *gen) node(q *Query, e *datamodel.Entity, depth int) *Node {
	k := g.pick(10)
	if depth >= 4 {
		k = 9
	}
	switch k {
	case 0, 1:
		n := &Node{And: []*Node{}}
		for i := g.pick(4); i > 0; i-- {
			n.And = append(n.And, g.node(q, e, depth+1))
		}
		return n
	case 2:
		n := &Node{Or: []*Node{}}
		for i := g.pick(4); i > 0; i-- {
			n.Or = append(n.Or, g.node(q, e, depth+1))
		}
		return n
	case 3:
		return &Node{Not: g.node(q, e, depth+1)}
	case 4, 5:
		if n := g.link(q, e, depth); n != nil {
			return n
		}
	case 6:
		if e.Name == g.dim && g.chance(0.5) {
			return &Node{Audience: "vip"}
		}
	}
	return g.attr(q, e)
}

// toOne lists the to-one hops out of e as (link, target).
func (g *gen) toOne(e *datamodel.Entity) []*datamodel.Link {
	var out []*datamodel.Link
	for _, l := range e.Links {
		h, err := hopFor(g.m, e, l)
		if err == nil && !h.Many {
			out = append(out, l)
		}
	}
	return out
}

func (g *gen) attr(q *Query, e *datamodel.Entity) *Node {
	var path []string
	cur := e
	for len(path) < 3 && g.chance(0.3) {
		links := g.toOne(cur)
		if len(links) == 0 {
			break
		}
		l := links[g.pick(len(links))]
		path = append(path, l.Name)
		cur = g.m.Entity(l.Entity)
	}
	a := cur.Attributes[g.pick(len(cur.Attributes))]
	path = append(path, a.Name)
	n := &Node{Attr: strings.Join(path, ".")}
	n.Op, n.Value = g.condition(q, a)
	if n.Op == OpContains || n.Op == OpStartsWith || n.Op == OpEndsWith {
		n.CaseInsensitive = g.chance(0.4)
	}
	return n
}

var propOps = map[datamodel.Type][]string{
	datamodel.TypeString:    {OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpIn, OpNotIn, OpContains, OpStartsWith, OpEndsWith, OpIsNull, OpIsNotNull, OpIsEmpty, OpIsNotEmpty},
	datamodel.TypeEnum:      {OpEq, OpNe, OpIn, OpNotIn, OpContains, OpStartsWith, OpEndsWith, OpIsNull, OpIsNotNull, OpIsEmpty, OpIsNotEmpty},
	datamodel.TypeInteger:   {OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpIn, OpNotIn, OpBetween, OpIsNull, OpIsNotNull},
	datamodel.TypeDecimal:   {OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpIn, OpNotIn, OpBetween, OpIsNull, OpIsNotNull},
	datamodel.TypeBoolean:   {OpEq, OpNe, OpIsNull, OpIsNotNull},
	datamodel.TypeDate:      {OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpIn, OpNotIn, OpBetween, OpBefore, OpAfter, OpWithinLast, OpWithinNext, OpDayOfWeek, OpAnniversaryWithin, OpIsNull, OpIsNotNull},
	datamodel.TypeTimestamp: {OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpBetween, OpBefore, OpAfter, OpWithinLast, OpWithinNext, OpDayOfWeek, OpIsNull, OpIsNotNull},
}

// condition picks an operator for a and a value for it, as JSON would
// carry it (or as a parameter).
func (g *gen) condition(q *Query, a *datamodel.Attribute) (string, any) {
	ops := propOps[a.Type]
	op := ops[g.pick(len(ops))]
	var v any
	switch op {
	case OpIsNull, OpIsNotNull, OpIsEmpty, OpIsNotEmpty:
		return op, nil
	case OpIn, OpNotIn:
		var vs []any
		for i := 1 + g.pick(4); i > 0; i-- {
			vs = append(vs, g.jsonValue(a))
		}
		v = vs
	case OpBetween:
		v = []any{g.jsonValue(a), g.jsonValue(a)}
	case OpContains, OpStartsWith, OpEndsWith:
		s := propStrings[g.pick(len(propStrings))]
		if len(s) > 1 && g.chance(0.5) {
			i := g.pick(len(s))
			s = s[i : i+1+g.pick(len(s)-i)]
		}
		v = s
	case OpWithinLast, OpWithinNext:
		v = propDurations[g.pick(len(propDurations))].String()
	case OpDayOfWeek:
		var days []any
		for i := 1 + g.pick(3); i > 0; i-- {
			days = append(days, Weekdays[g.pick(7)])
		}
		v = days
	case OpAnniversaryWithin:
		v = []any{float64(0), float64(1), float64(7), float64(30), float64(366), "14d"}[g.pick(6)]
	default:
		v = g.jsonValue(a)
	}
	if g.chance(0.1) {
		name := fmt.Sprintf("p%d", len(q.Params)+1)
		q.Params[name] = v
		v = map[string]any{"param": name}
	}
	return op, v
}

// jsonValue returns a value of a's type as JSON carries it: numbers as
// float64 (or an exact decimal string), dates and timestamps as strings.
func (g *gen) jsonValue(a *datamodel.Attribute) any {
	x := g.value(a)
	switch v := x.(type) {
	case int64:
		return float64(v)
	case *big.Rat:
		switch g.pick(4) {
		case 0: // between two values a column can hold
			_, s := a.DecimalShape()
			return new(big.Rat).Add(v, big.NewRat(1, 2*pow10(s))).FloatString(s + 1)
		case 1:
			return new(big.Rat).Add(v, big.NewRat(1, 3)) // not a finite decimal
		}
		f, _ := v.Float64()
		return f
	case time.Time:
		if a.Type == datamodel.TypeDate {
			return v.Format("2006-01-02")
		}
		if g.chance(0.1) {
			v = v.Add(500 * time.Nanosecond)
		}
		return v.In(g.loc).Format(time.RFC3339Nano)
	}
	return x
}

func pow10(n int) int64 {
	p := int64(1)
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

// link generates a condition on related rows of e, possibly through a
// to-one hop first, with a where that may nest further.
func (g *gen) link(q *Query, e *datamodel.Entity, depth int) *Node {
	type cand struct {
		path string
		to   *datamodel.Entity
	}
	var cands []cand
	add := func(from *datamodel.Entity, prefix string) {
		for _, l := range from.Links {
			if h, err := hopFor(g.m, from, l); err == nil && h.Many {
				cands = append(cands, cand{prefix + l.Name, h.To})
			}
		}
	}
	add(e, "")
	for _, l := range g.toOne(e) {
		add(g.m.Entity(l.Entity), l.Name+".")
	}
	if len(cands) == 0 {
		return nil
	}
	c := cands[g.pick(len(cands))]
	n := &Node{Link: c.path}
	if g.chance(0.6) {
		n.Where = g.node(q, c.to, depth+1)
	}
	switch g.pick(3) {
	case 0:
		n.Count = &Compare{Op: []string{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe}[g.pick(6)], Value: float64(g.pick(4))}
	case 1:
		n.Aggregate = g.aggregate(c.to)
	}
	return n
}

func (g *gen) aggregate(e *datamodel.Entity) *Aggregate {
	fn := []string{FnCount, FnSum, FnAvg, FnMin, FnMax}[g.pick(5)]
	var attrs []*datamodel.Attribute
	for _, a := range e.Attributes {
		switch {
		case fn == FnCount,
			a.Type == datamodel.TypeInteger || a.Type == datamodel.TypeDecimal,
			(fn == FnMin || fn == FnMax) && (a.Type == datamodel.TypeDate || a.Type == datamodel.TypeTimestamp):
			attrs = append(attrs, a)
		}
	}
	a := attrs[g.pick(len(attrs))] // keys are integers: never empty
	ag := &Aggregate{Fn: fn, Attr: a.Name, Op: []string{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpBetween}[g.pick(7)]}
	one := func() any {
		switch fn {
		case FnCount:
			return float64(g.pick(4))
		case FnAvg:
			switch g.pick(3) {
			case 0:
				return float64(g.pick(9)-4) / 2
			case 1:
				return big.NewRat(int64(g.pick(21)-10), 3)
			}
		}
		return g.jsonValue(a)
	}
	if ag.Op == OpBetween {
		ag.Value = []any{one(), one()}
	} else {
		ag.Value = one()
	}
	return ag
}

package message

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// MaxBatch is the number of recipients one query reads; Load splits
// larger batches.
const MaxBatch = 1000

// Loader reads the contexts of batches of recipients: one query for the
// profiles with their to-one links (joined), and one per one-to-many link
// the templates read, for the whole batch. Never a query per recipient.
type Loader struct {
	s *store.Store
	// queries counts the statements run, for tests that hold Load to one
	// query per need.
	queries int
	m       *datamodel.Model
	dim     string
	needs   Needs
	env     Env
}

// NewLoader returns a loader of the dimension's rows and of the linked
// data needs names (usually Template.Needs).
func NewLoader(s *store.Store, m *datamodel.Model, dimension string, needs Needs) *Loader {
	return &Loader{s: s, m: m, dim: dimension, needs: needs}
}

// WithEnv sets the campaign, run and variables every context carries.
func (l *Loader) WithEnv(env Env) *Loader {
	l.env = env
	return l
}

// KeyString is the canonical form of a recipient key, the key of the map
// Load returns. Numbers of any integer type give the same string.
func KeyString(key []any) string {
	parts := make([]string, len(key))
	for i, v := range key {
		parts[i] = keyPart(v)
	}
	b, _ := json.Marshal(parts)
	return string(b)
}

func keyPart(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// Load returns the context of each recipient of keys (each key lists the
// dimension's key columns in order), keyed by KeyString. target, when
// given, is parallel to keys: the run's enrichment columns of each
// recipient. A key with no row in the dimension has no context.
func (l *Loader) Load(ctx context.Context, keys [][]any, target []map[string]any) (map[string]Context, error) {
	if target != nil && len(target) != len(keys) {
		return nil, fmt.Errorf("load contexts: %d target rows for %d keys", len(target), len(keys))
	}
	dim := l.m.Entity(l.dim)
	if dim == nil {
		return nil, fmt.Errorf("load contexts: unknown dimension %q", l.dim)
	}
	out := make(map[string]Context, len(keys))
	for start := 0; start < len(keys); start += MaxBatch {
		end := min(start+MaxBatch, len(keys))
		if err := l.loadBatch(ctx, dim, keys[start:end], out); err != nil {
			return nil, err
		}
	}
	for i, k := range keys {
		c, ok := out[KeyString(k)]
		if !ok {
			continue
		}
		if target != nil && target[i] != nil {
			c["target"] = target[i]
		}
		l.env.bind(c)
	}
	return out, nil
}

func (l *Loader) loadBatch(ctx context.Context, dim *datamodel.Entity, keys [][]any, out map[string]Context) error {
	for _, k := range keys {
		if len(k) != len(dim.Key) {
			return fmt.Errorf("load contexts: key %v has %d values, %s's key has %d", k, len(k), dim.Name, len(dim.Key))
		}
	}
	profiles, err := l.loadProfiles(ctx, dim, keys)
	if err != nil {
		return err
	}
	for _, mn := range l.needs.Many {
		rows, err := l.loadMany(ctx, dim, mn, keys)
		if err != nil {
			return err
		}
		for k, p := range profiles {
			list := rows[k]
			if list == nil {
				list = []any{}
			}
			p[mn.Link] = list
		}
	}
	for k, p := range profiles {
		out[k] = Context{"profile": p}
	}
	return nil
}

// selected is one attribute read by a query: where it goes in the row's
// map (the to-one path, then the attribute).
type selected struct {
	path string // to-one path ("" for the row itself)
	attr *datamodel.Attribute
}

// columns lists the attributes of e and of the entities at the to-one
// paths, and adds their expressions to the compiled query.
func columns(m *datamodel.Model, c *audience.Compiled, e *datamodel.Entity, toOne []string) ([]selected, []string, error) {
	var sel []selected
	var exprs []string
	add := func(path string, ent *datamodel.Entity) error {
		for _, a := range ent.Attributes {
			expr, err := c.Column(joinPath(path, a.Name))
			if err != nil {
				return err
			}
			sel = append(sel, selected{path: path, attr: a})
			exprs = append(exprs, castText(expr, a))
		}
		return nil
	}
	if err := add("", e); err != nil {
		return nil, nil, err
	}
	for _, p := range toOne {
		ent, err := walkToOne(m, e, p)
		if err != nil {
			return nil, nil, err
		}
		if err := add(p, ent); err != nil {
			return nil, nil, err
		}
	}
	return sel, exprs, nil
}

// walkToOne returns the entity at the end of a to-one link path.
func walkToOne(m *datamodel.Model, e *datamodel.Entity, path string) (*datamodel.Entity, error) {
	cur := e
	for _, p := range strings.Split(path, ".") {
		l := cur.Link(p)
		if l == nil {
			return nil, fmt.Errorf("%s has no link %q", cur.Name, p)
		}
		if l.Inverse && l.Kind == datamodel.OneToMany {
			return nil, fmt.Errorf("%s.%s is one-to-many, not a to-one path", cur.Name, p)
		}
		if cur = m.Entity(l.Entity); cur == nil {
			return nil, fmt.Errorf("link %s points at unknown entity %s", p, l.Entity)
		}
	}
	return cur, nil
}

// castText reads decimals and JSON as text, so they scan alike on every
// dialect.
func castText(expr string, a *datamodel.Attribute) string {
	switch a.Type {
	case datamodel.TypeDecimal, datamodel.TypeJSON:
		return "CAST(" + expr + " AS TEXT)"
	}
	return expr
}

// inKeys renders "key is one of keys", binding every value: a single
// column binds the values as one list when they are all integers or all
// strings (a parameter per value costs DuckDB 14 us each, 7 ms for a batch
// of 500), other keys an IN list or, for a composite key, a disjunction of
// equalities.
func inKeys(d store.Dialect, c *audience.Compiled, exprs []string, keys [][]any) string {
	if len(exprs) == 1 {
		// The range lets DuckDB skip the row groups outside it: the outbox
		// is written in key order, so a batch's keys are close together.
		if ints, ok := column[int64](keys); ok {
			return fmt.Sprintf("%s BETWEEN %s AND %s AND ", exprs[0], c.Arg(slices.Min(ints)), c.Arg(slices.Max(ints))) +
				d.InList(exprs[0], c.Bind(ints), "BIGINT")
		}
		if strs, ok := column[string](keys); ok {
			// Strings only where they compare byte by byte, as Go does
			// (PostgreSQL compares by the column's collation).
			rng := ""
			if d.BytewiseText() {
				rng = fmt.Sprintf("%s BETWEEN %s AND %s AND ", exprs[0], c.Arg(slices.Min(strs)), c.Arg(slices.Max(strs)))
			}
			return rng + d.InList(exprs[0], c.Bind(strs), "VARCHAR")
		}
		ph := make([]string, len(keys))
		for i, k := range keys {
			ph[i] = c.Arg(k[0])
		}
		return exprs[0] + " IN (" + strings.Join(ph, ", ") + ")"
	}
	ors := make([]string, len(keys))
	for i, k := range keys {
		ands := make([]string, len(exprs))
		for j, e := range exprs {
			ands[j] = e + " = " + c.Arg(k[j])
		}
		ors[i] = "(" + strings.Join(ands, " AND ") + ")"
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// column returns the first value of every key when all are of type T.
func column[T any](keys [][]any) ([]T, bool) {
	out := make([]T, len(keys))
	for i, k := range keys {
		v, ok := k[0].(T)
		if !ok {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// loadProfiles reads the dimension's rows of keys with their to-one
// links, keyed by KeyString.
func (l *Loader) loadProfiles(ctx context.Context, dim *datamodel.Entity, keys [][]any) (map[string]map[string]any, error) {
	c, err := audience.Compile(l.m, l.s.Dialect, &audience.Query{Dimension: dim.Name}, nil)
	if err != nil {
		return nil, fmt.Errorf("load profiles: %w", err)
	}
	sel, exprs, err := columns(l.m, c, dim, l.needs.ToOne)
	if err != nil {
		return nil, fmt.Errorf("load profiles: %w", err)
	}
	q, args := c.SQL(strings.Join(exprs, ", "), "AND "+inKeys(l.s.Dialect, c, c.Keys(), keys))
	l.queries++
	out := make(map[string]map[string]any, len(keys))
	err = l.s.Generated().Rows(ctx, q, args, func(scan func(...any) error) error {
		vals, err := scanValues(scan, len(sel))
		if err != nil {
			return err
		}
		p := assemble(l.m, dim, sel, vals, l.needs.ToOne)
		key := make([]any, len(dim.Key))
		for i, k := range dim.Key {
			key[i] = p[k]
		}
		out[KeyString(key)] = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load profiles: %w", err)
	}
	return out, nil
}

// loadMany reads the rows of a one-to-many link for every key of the
// batch, in the need's order, grouped by recipient.
func (l *Loader) loadMany(ctx context.Context, dim *datamodel.Entity, mn ManyNeed, keys [][]any) (map[string][]any, error) {
	what := "load " + mn.Link
	toOne, hop, err := audience.ResolveLink(l.m, dim, mn.Link)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(toOne) > 0 {
		return nil, fmt.Errorf("%s: only one-to-many links of %s itself are loaded", what, dim.Name)
	}
	c, err := audience.Compile(l.m, l.s.Dialect, &audience.Query{Dimension: hop.To.Name}, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	sel, exprs, err := columns(l.m, c, hop.To, mn.ToOne)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	fks := make([]string, len(hop.ToCols))
	for i, col := range hop.ToCols {
		fks[i] = "t0." + store.Quote(col)
	}
	order, err := orderBy(c, hop.To, mn.Order)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	// The first rows of each recipient, by its link columns.
	q, args := c.FirstPerGroup(exprs, fks, order, "AND "+inKeys(l.s.Dialect, c, fks, keys), mn.Limit)
	l.queries++
	out := map[string][]any{}
	err = l.s.Generated().Rows(ctx, q, args, func(scan func(...any) error) error {
		vals, err := scanValues(scan, len(sel)+len(fks))
		if err != nil {
			return err
		}
		row := assemble(l.m, hop.To, sel, vals[:len(sel)], mn.ToOne)
		k := KeyString(vals[len(sel):])
		out[k] = append(out[k], row)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// orderBy renders a need's order ("purchased_at desc", "product.price");
// by default the linked entity's key, newest (highest) first.
func orderBy(c *audience.Compiled, e *datamodel.Entity, order string) (string, error) {
	if strings.TrimSpace(order) == "" {
		parts := make([]string, len(e.Key))
		for i, k := range e.Key {
			parts[i] = "t0." + store.Quote(k) + " DESC"
		}
		return strings.Join(parts, ", "), nil
	}
	var parts []string
	for _, item := range strings.Split(order, ",") {
		f := strings.Fields(item)
		if len(f) == 0 || len(f) > 2 {
			return "", fmt.Errorf("order %q: write an attribute and asc or desc", order)
		}
		expr, err := c.Column(f[0])
		if err != nil {
			return "", fmt.Errorf("order %q: %w", order, err)
		}
		dir := "ASC"
		if len(f) == 2 {
			switch strings.ToLower(f[1]) {
			case "asc":
			case "desc":
				dir = "DESC"
			default:
				return "", fmt.Errorf("order %q: %q is not asc or desc", order, f[1])
			}
		}
		parts = append(parts, expr+" "+dir+" NULLS LAST")
	}
	// The key breaks ties, so the order is stable between runs.
	for _, k := range e.Key {
		parts = append(parts, "t0."+store.Quote(k)+" DESC")
	}
	return strings.Join(parts, ", "), nil
}

// scanValues scans a row of n columns as the driver gives them.
func scanValues(scan func(...any) error, n int) ([]any, error) {
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := scan(ptrs...); err != nil {
		return nil, err
	}
	return vals, nil
}

// assemble builds a row's map: its attributes, then each to-one path as a
// nested map (nil when the link leads nowhere).
func assemble(m *datamodel.Model, e *datamodel.Entity, sel []selected, vals []any, toOne []string) map[string]any {
	row := map[string]any{}
	objs := map[string]map[string]any{"": row}
	for _, p := range toOne {
		objs[p] = map[string]any{}
	}
	for i, s := range sel {
		objs[s.path][s.attr.Name] = templateValue(s.attr, vals[i])
	}
	// toOne is sorted, so a parent comes before its children.
	for _, p := range toOne {
		obj := objs[p]
		parent, name := "", p
		if i := strings.LastIndex(p, "."); i >= 0 {
			parent, name = p[:i], p[i+1:]
		}
		ent, err := walkToOne(m, e, p)
		present := err == nil && len(ent.Key) > 0
		if present {
			for _, k := range ent.Key {
				if obj[k] == nil {
					present = false
				}
			}
		}
		if po, ok := objs[parent]; ok && po != nil && present {
			po[name] = obj
		} else {
			if po != nil {
				po[name] = nil
			}
			objs[p] = nil
		}
	}
	return row
}

// templateValue turns a scanned value into what templates handle: int64,
// float64 (decimals), bool, string, time.Time (dates and timestamps, UTC),
// decoded JSON, or nil.
func templateValue(a *datamodel.Attribute, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		v = string(x)
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case time.Time:
		return x.UTC()
	}
	s, ok := v.(string)
	if !ok {
		return v
	}
	switch a.Type {
	case datamodel.TypeDecimal:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case datamodel.TypeJSON:
		var out any
		if json.Unmarshal([]byte(s), &out) == nil {
			return out
		}
	case datamodel.TypeDate, datamodel.TypeTimestamp:
		if t, err := toTime(s); err == nil {
			return t.UTC()
		}
	}
	return s
}

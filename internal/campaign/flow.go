package campaign

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// The dimension of the rows an activity outputs is an entity name, or one
// of these.
const (
	dimNone    = ""              // a control flow without rows (start, signal…)
	dimUnknown = "\x00unknown"   // not computable: a problem is already reported
	dimFile    = "\x00file rows" // rows of a file, not yet matched to an entity
)

// flow checks the settings of every activity, then computes the dimension
// of each activity's rows along the graph and checks everything that
// depends on it: queries, attribute paths, links and channels.
func (v *validator) flow(cyclic map[string]bool) map[string]string {
	for _, a := range v.d.Activities {
		if s, ok := v.settings[a.ID]; ok && v.byID[a.ID] == a {
			v.static(a, s)
		}
	}
	if v.m == nil {
		v.add("", "", "no data model to check the campaign against")
		return nil
	}
	dims := map[string]string{}
	for _, a := range v.topo(cyclic) {
		dims[a.ID] = v.dimension(a, dims)
	}
	return dims
}

// Dimensions returns the entity of each activity's rows as validation
// computes it along the graph (a channel activity's: its recipients'),
// for the activities whose rows have one; the document's problems are
// Validate's to report.
func Dimensions(d *Document, m *datamodel.Model, audiences audience.AudienceInfo) map[string]string {
	v := newValidator(d, m, audiences)
	v.activities()
	v.transitions()
	v.connections()
	out := map[string]string{}
	for id, dim := range v.flow(v.cycles()) {
		if m.Entity(dim) != nil {
			out[id] = dim
		}
	}
	return out
}

// topo returns the activities in an order where every activity follows
// its inputs; activities on or after a cycle are left out.
func (v *validator) topo(cyclic map[string]bool) []*Activity {
	indeg := map[string]int{}
	var queue, order []*Activity
	for _, a := range v.d.Activities {
		if v.byID[a.ID] != a || cyclic[a.ID] {
			continue
		}
		indeg[a.ID] = len(v.in[a.ID])
		if indeg[a.ID] == 0 {
			queue = append(queue, a)
		}
	}
	for len(queue) > 0 {
		a := queue[0]
		queue = queue[1:]
		order = append(order, a)
		for _, i := range v.out[a.ID] {
			to := v.d.Transitions[i].To
			if _, ok := indeg[to]; !ok {
				continue
			}
			indeg[to]--
			if indeg[to] == 0 {
				queue = append(queue, v.byID[to])
			}
		}
	}
	return order
}

type input struct {
	from string
	dim  string
}

func (v *validator) inputs(a *Activity, dims map[string]string) []input {
	var ins []input
	for _, i := range v.in[a.ID] {
		t := v.d.Transitions[i]
		d, ok := dims[t.From]
		if !ok {
			d = dimUnknown
		}
		if from := v.byID[t.From]; from != nil && slices.Contains(Types[from.Type].fileRows, t.Output) {
			d = dimFile
		}
		ins = append(ins, input{from: t.From, dim: d})
	}
	return ins
}

// dimension checks a and returns the dimension of its rows, with its
// type's rows function once its settings are read.
func (v *validator) dimension(a *Activity, dims map[string]string) string {
	t, ok := Types[a.Type]
	if !ok {
		return dimUnknown
	}
	if t.Entry {
		return dimNone
	}
	ins := v.inputs(a, dims)
	s, decoded := v.settings[a.ID]
	switch {
	case decoded:
		return t.rows(v, a, s, ins)
	case t.Targeting:
		return dimUnknown
	}
	return passRows(ins)
}

func queryPath(path string, where json.RawMessage) string {
	if where != nil {
		return path + ".where"
	}
	return path + ".query"
}

// ownDimension returns the entity named by an activity's dimension
// setting, or the campaign's.
func (v *validator) ownDimension(a *Activity, path, dim string) *datamodel.Entity {
	where := path + ".dimension"
	if dim == "" {
		dim, where = v.d.Dimension, "dimension"
	}
	if dim == "" {
		v.add(a.ID, path, "no dimension: set dimension on the activity or on the campaign")
		return nil
	}
	e := v.m.Entity(dim)
	if e == nil {
		if where == "dimension" {
			return nil // reported once for the campaign
		}
		v.add(a.ID, where, "unknown dimension %q: no such entity in the data model", dim)
	}
	return e
}

// population returns the dimension of a's single input, reporting an input
// without rows (or with unmatched file rows, unless files are welcome).
func (v *validator) population(a *Activity, ins []input, files bool) (string, bool) {
	if len(ins) != 1 {
		return "", false
	}
	in := ins[0]
	switch {
	case in.dim == dimUnknown:
		return "", false
	case in.dim == dimNone:
		v.add(a.ID, actPath(a.ID), "%s needs a population, but its input %s carries none: put a build_audience or read_audience before it", a.Type, in.from)
		return "", false
	case in.dim == dimFile && !files:
		v.add(a.ID, actPath(a.ID), "%s receives the rows of a file from %s: match them to a dimension with reconcile first", a.Type, in.from)
		return "", false
	case in.dim != dimFile && files && a.Type == "reconcile":
		v.add(a.ID, actPath(a.ID), "reconcile matches the rows of a file (from load_file), but %s gives rows of %s", in.from, in.dim)
		return "", false
	}
	return in.dim, true
}

// join checks the inputs of a combine or and_join and returns the
// dimension of the rows that continue.
func (v *validator) join(a *Activity, ins []input, primary string, rowsNeeded bool) string {
	var dims []string
	var parts []string
	result := dimUnknown
	for i, in := range ins {
		switch {
		case in.dim == dimUnknown:
			continue
		case in.dim == dimNone && rowsNeeded:
			v.add(a.ID, actPath(a.ID), "%s combines populations, but its input %s carries none", a.Type, in.from)
			continue
		case in.dim == dimFile:
			v.add(a.ID, actPath(a.ID), "%s receives the rows of a file from %s: match them to a dimension with reconcile first", a.Type, in.from)
			continue
		}
		if in.from == primary || primary == "" && i == 0 {
			result = in.dim
		}
		if in.dim == dimNone {
			continue
		}
		if !slices.Contains(dims, in.dim) {
			dims = append(dims, in.dim)
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", in.from, in.dim))
	}
	if len(dims) > 1 {
		v.add(a.ID, actPath(a.ID), "%s joins sets of different dimensions: %s; use change_dimension to bring them to one", a.Type, strings.Join(parts, ", "))
		return dimUnknown
	}
	return result
}

// followToOne follows a path of many-to-one and one-to-one links.
func followToOne(m *datamodel.Model, from *datamodel.Entity, path string) (*datamodel.Entity, error) {
	cur := from
	for _, p := range strings.Split(path, ".") {
		l := cur.Link(p)
		if l == nil {
			if cur.Attribute(p) != nil {
				return nil, fmt.Errorf("%q is an attribute of %s, not a link", p, cur.Name)
			}
			return nil, fmt.Errorf("%s has no link %q", cur.Name, p)
		}
		to := m.Entity(l.Entity)
		if to == nil {
			return nil, fmt.Errorf("link %s points at unknown entity %s", p, l.Entity)
		}
		if l.Kind == datamodel.OneToMany {
			return nil, fmt.Errorf("%s.%s is one-to-many: change_dimension follows many-to-one and one-to-one links", cur.Name, p)
		}
		cur = to
	}
	return cur, nil
}

func (v *validator) attribute(id, path string, e *datamodel.Entity, attr string) *datamodel.Attribute {
	_, a, err := audience.ResolveAttr(v.m, e, attr)
	if err != nil {
		v.add(id, path, "attribute %q: %v", attr, err)
		return nil
	}
	return a
}

// query parses a query (text, or a JSON tree when where is set) and checks
// it against dimension dim; its problems are reported under path, the
// path of the text or of the tree.
func (v *validator) query(id, path, dim, text string, where json.RawMessage) {
	var n *audience.Node
	var err error
	if where != nil {
		n, err = audience.ParseJSON(where)
	} else {
		n, err = audience.ParseText(text)
	}
	if err != nil {
		v.add(id, path, "cannot read the query: %v", err)
		return
	}
	missing := map[string]bool{}
	for _, p := range queryParams(n, nil) {
		if !hasKey(v.d.Variables, p) && !missing[p] {
			missing[p] = true
			v.add(id, path, "$%s is not a campaign variable (declare it under variables)", p)
		}
	}
	err = audience.Validate(v.m, &audience.Query{Dimension: dim, Where: n, Params: v.d.Variables}, v.audiences)
	var ve *audience.ValidationError
	if !errors.As(err, &ve) {
		if err != nil {
			v.add(id, path, "%v", err)
		}
		return
	}
	for _, p := range ve.Problems {
		if dupOfMissing(p.Message, missing) {
			continue
		}
		node, inTree := strings.CutPrefix(p.Path, "where")
		switch {
		case !inTree:
			v.add(id, path, "%s: %s", p.Path, p.Message)
		case where != nil:
			v.add(id, path+node, "%s", p.Message)
		case node != "":
			v.add(id, path, "%s: %s", strings.TrimPrefix(node, "."), p.Message)
		default:
			v.add(id, path, "%s", p.Message)
		}
	}
}

func dupOfMissing(msg string, missing map[string]bool) bool {
	for p := range missing {
		if strings.Contains(msg, fmt.Sprintf("parameter %q is not given", p)) {
			return true
		}
	}
	return false
}

// queryParams lists the parameters a query tree uses.
func queryParams(n *audience.Node, out []string) []string {
	if n == nil {
		return out
	}
	out = valueParams(n.Value, out)
	if n.Count != nil {
		out = valueParams(n.Count.Value, out)
	}
	if n.Aggregate != nil {
		out = valueParams(n.Aggregate.Value, out)
	}
	for _, c := range n.And {
		out = queryParams(c, out)
	}
	for _, c := range n.Or {
		out = queryParams(c, out)
	}
	out = queryParams(n.Not, out)
	return queryParams(n.Where, out)
}

func valueParams(v any, out []string) []string {
	switch x := v.(type) {
	case audience.Param:
		return append(out, x.Param)
	case []any:
		for _, e := range x {
			out = valueParams(e, out)
		}
	}
	return out
}

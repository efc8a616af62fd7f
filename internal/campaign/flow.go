package campaign

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/docparse"
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
func (v *validator) flow(cyclic map[string]bool) {
	for _, a := range v.d.Activities {
		if s, ok := v.settings[a.ID]; ok && v.byID[a.ID] == a {
			v.static(a, s)
		}
	}
	if v.m == nil {
		v.add("", "", "no data model to check the campaign against")
		return
	}
	dims := map[string]string{}
	for _, a := range v.topo(cyclic) {
		dims[a.ID] = v.dimension(a, dims)
	}
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

// passRows is the dimension of wait, fork and test: rows (or their
// absence) pass through.
func passRows(ins []input) string {
	if len(ins) == 1 {
		return ins[0].dim
	}
	return dimUnknown
}

// passes makes passRows the rows function of a type.
func passes[S any](_ *validator, _ *Activity, _ *S, ins []input) string { return passRows(ins) }

// noRows is the dimension of end, which outputs nothing.
func noRows[S any](*validator, *Activity, *S, []input) string { return dimNone }

// onPopulation makes the rows function of a type that keeps its single
// input's dimension (deduplicate, enrich, save_audience, channels);
// check, if any, checks the settings against that dimension's entity.
func onPopulation[S any](check func(v *validator, a *Activity, s *S, e *datamodel.Entity)) func(*validator, *Activity, *S, []input) string {
	return func(v *validator, a *Activity, s *S, ins []input) string {
		dim, ok := v.population(a, ins, false)
		if !ok {
			return dimUnknown
		}
		if check != nil {
			check(v, a, s, v.m.Entity(dim))
		}
		return dim
	}
}

func (v *validator) rowsBuildAudience(a *Activity, s *BuildAudience, _ []input) string {
	e := v.ownDimension(a, actPath(a.ID), s.Dimension)
	if e == nil {
		return dimUnknown
	}
	v.query(a.ID, queryPath(actPath(a.ID), s.Where), e.Name, s.Query, s.Where)
	return e.Name
}

func (v *validator) rowsIncremental(a *Activity, s *IncrementalQuery, _ []input) string {
	id, path := a.ID, actPath(a.ID)
	e := v.ownDimension(a, path, s.Dimension)
	if e == nil {
		return dimUnknown
	}
	v.query(id, queryPath(path, s.Where), e.Name, s.Query, s.Where)
	if s.Since != "" {
		if _, attr, err := audience.ResolveAttr(v.m, e, s.Since); err != nil {
			v.add(id, path+".since", "since %q: %v", s.Since, err)
		} else if attr.Type != datamodel.TypeDate && attr.Type != datamodel.TypeTimestamp {
			v.add(id, path+".since", "since %q is %s: want a date or timestamp attribute", s.Since, attr.Type)
		}
	}
	return e.Name
}

func (v *validator) rowsReadAudience(a *Activity, s *ReadAudience, _ []input) string {
	if s.Audience == "" {
		return dimUnknown
	}
	if v.audiences == nil {
		// Saved audiences are unknown here: assume the campaign's
		// dimension so that what follows is still checked.
		if v.m.Entity(v.d.Dimension) != nil {
			return v.d.Dimension
		}
		return dimUnknown
	}
	dim, ok := v.audiences(s.Audience)
	if !ok {
		v.add(a.ID, actPath(a.ID)+".audience", "unknown audience %q", s.Audience)
		return dimUnknown
	}
	return dim
}

func (v *validator) rowsLoadFile(*Activity, *LoadFile, []input) string { return dimFile }

func (v *validator) rowsReconcile(a *Activity, s *Reconcile, ins []input) string {
	id, path := a.ID, actPath(a.ID)
	if _, ok := v.population(a, ins, true); !ok {
		return dimUnknown
	}
	e := v.ownDimension(a, path, s.Dimension)
	if e == nil {
		return dimUnknown
	}
	for i, m := range s.Match {
		if m.Attribute == "" {
			continue
		}
		if e.Attribute(m.Attribute) == nil {
			v.add(id, docparse.Index(path+".match", i)+".attribute", "%s has no attribute %q", e.Name, m.Attribute)
		}
	}
	return e.Name
}

func (v *validator) rowsChangeDimension(a *Activity, s *ChangeDimension, ins []input) string {
	from, ok := v.population(a, ins, false)
	if !ok || s.Link == "" {
		return dimUnknown
	}
	to, err := followToOne(v.m, v.m.Entity(from), s.Link)
	if err != nil {
		v.add(a.ID, actPath(a.ID)+".link", "link %q: %v", s.Link, err)
		return dimUnknown
	}
	return to.Name
}

func (v *validator) rowsCombine(a *Activity, s *Combine, ins []input) string {
	return v.join(a, ins, s.Primary, true)
}

func (v *validator) rowsAndJoin(a *Activity, s *AndJoin, ins []input) string {
	return v.join(a, ins, s.Primary, false)
}

// rowsSplit checks the subsets' queries and orders against the input's
// dimension, which the subsets keep.
func (v *validator) rowsSplit(a *Activity, s *Split, ins []input) string {
	dim, ok := v.population(a, ins, false)
	if !ok {
		return dimUnknown
	}
	e := v.m.Entity(dim)
	id, path := a.ID, actPath(a.ID)
	for i, sub := range s.Subsets {
		sp := docparse.Index(path+".subsets", i)
		if sub.Where != "" {
			v.query(id, sp+".where", dim, sub.Where, nil)
		}
		if attr, _, err := parseOrder(sub.Order, true); err == nil && attr != "" {
			v.attribute(id, sp+".order", e, attr)
		}
	}
	return dim
}

// channelRows checks that the input's dimension can receive the channel.
func (v *validator) channelRows(a *Activity, _ *Channel, e *datamodel.Entity) {
	v.channel(a, e)
	v.channelWindow(a, e)
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

var orderedTypes = []datamodel.Type{datamodel.TypeInteger, datamodel.TypeDecimal, datamodel.TypeDate, datamodel.TypeTimestamp, datamodel.TypeString}

func (v *validator) deduplicate(a *Activity, s *Deduplicate, e *datamodel.Entity) {
	id, path := a.ID, actPath(a.ID)
	for i, f := range s.Fields {
		v.attribute(id, docparse.Index(path+".fields", i), e, f)
	}
	var by []string
	switch x := s.By.(type) {
	case nil:
	case string:
		by = []string{x}
	case []any:
		for _, b := range x {
			str, ok := b.(string)
			if !ok {
				v.add(id, path+".by", "expected attribute paths, found %s", describeValue(b))
				return
			}
			by = append(by, str)
		}
	default:
		v.add(id, path+".by", "expected an attribute path or a list of them, found %s", describeValue(s.By))
		return
	}
	switch s.Method {
	case "", "random":
		if len(by) > 0 {
			v.add(id, path+".by", "a random choice takes no by")
		}
	case "highest", "lowest":
		if len(by) != 1 {
			v.add(id, path+".by", "%s keeps the rows with the %s value of one attribute: give it as by", s.Method, s.Method)
			return
		}
		if attr := v.attribute(id, path+".by", e, by[0]); attr != nil && !slices.Contains(orderedTypes, attr.Type) {
			v.add(id, path+".by", "%s is %s, which has no order", by[0], attr.Type)
		}
	case "non_empty":
		if len(by) == 0 {
			v.add(id, path+".by", "non_empty keeps the rows with the most filled attributes: list them as by")
		}
		for _, b := range by {
			v.attribute(id, path+".by", e, b)
		}
	}
}

var aggregateTypes = map[string][]datamodel.Type{
	audience.FnSum: {datamodel.TypeInteger, datamodel.TypeDecimal},
	audience.FnAvg: {datamodel.TypeInteger, datamodel.TypeDecimal},
	audience.FnMin: orderedTypes,
	audience.FnMax: orderedTypes,
}

func (v *validator) enrich(a *Activity, s *Enrich, e *datamodel.Entity) {
	id, path := a.ID, actPath(a.ID)
	for i, c := range s.Columns {
		cp := docparse.Index(path+".columns", i)
		if c.Link == "" {
			if c.Attribute != "" {
				v.attribute(id, cp+".attribute", e, c.Attribute)
			}
			continue
		}
		_, many, err := audience.ResolveLink(v.m, e, c.Link)
		if err != nil {
			v.add(id, cp+".link", "link %q: %v", c.Link, err)
			continue
		}
		to := many.To
		if c.Aggregate != "" && c.Attribute != "" {
			if attr := v.attribute(id, cp+".attribute", to, c.Attribute); attr != nil {
				if types, ok := aggregateTypes[c.Aggregate]; ok && !slices.Contains(types, attr.Type) {
					v.add(id, cp+".attribute", "%s does not apply to %s (%s)", c.Aggregate, c.Attribute, attr.Type)
				}
			}
		}
		if c.First > 0 {
			for j, at := range c.Attributes {
				v.attribute(id, docparse.Index(cp+".attributes", j), to, at)
			}
			if attr, _, err := parseOrder(c.OrderBy, false); err == nil && attr != "" {
				v.attribute(id, cp+".order_by", to, attr)
			}
		}
		if c.Where != "" {
			v.query(id, cp+".where", to.Name, c.Where, nil)
		}
	}
}

func (v *validator) channel(a *Activity, e *datamodel.Entity) {
	t := e.Targeting
	ok := t != nil
	if ok {
		switch a.Type {
		case datamodel.ChannelEmail:
			ok = t.Email != ""
		case datamodel.ChannelSMS:
			ok = t.SMS != ""
		case datamodel.ChannelPush:
			ok = t.Push != nil
		}
	}
	if !ok {
		v.add(a.ID, actPath(a.ID), "%s cannot receive %s: the data model gives it no %s targeting (change_dimension to a dimension that can)", e.Name, a.Type, a.Type)
	}
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

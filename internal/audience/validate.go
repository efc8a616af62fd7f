package audience

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// Problem is one thing wrong with a query, at a path such as
// "where.and[1].where.and[0]".
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// ValidationError lists every problem Validate found in a query.
type ValidationError struct {
	Problems []Problem
}

// Error lists every problem as "path: message", separated by semicolons.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Path == "" {
			parts[i] = p.Message
		} else {
			parts[i] = p.Path + ": " + p.Message
		}
	}
	return "invalid audience query: " + strings.Join(parts, "; ")
}

// AudienceInfo looks up a saved audience by name and returns the dimension
// it selects.
type AudienceInfo func(name string) (dimension string, ok bool)

// Validate checks a query against a data model and the saved audiences and
// returns a *ValidationError listing every problem, or nil. Problems inside
// the tree carry the node's path from "where"; query-level problems carry
// "dimension", "timezone" or "where".
func Validate(m *datamodel.Model, q *Query, audiences AudienceInfo) error {
	v := &validator{m: m, q: q, audiences: audiences}
	v.query()
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

type validator struct {
	m         *datamodel.Model
	q         *Query
	audiences AudienceInfo
	problems  []Problem
	nodes     int
	tooDeep   bool
	tooMany   bool
}

func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) query() {
	if v.q == nil {
		v.add("", "the query is missing")
		return
	}
	if v.m == nil {
		v.add("", "no data model to check the query against")
		return
	}
	if tz := v.q.TimeZone; tz != "" {
		if tz == "Local" {
			v.add("timezone", `time zone "Local" is the server's: name an IANA zone such as Europe/Paris`)
		} else if _, err := time.LoadLocation(tz); err != nil {
			v.add("timezone", "unknown time zone %q: name an IANA zone such as Europe/Paris", tz)
		}
	}
	dim := v.m.Entity(v.q.Dimension)
	switch {
	case v.q.Dimension == "":
		v.add("dimension", "the query names no dimension (the entity whose rows it selects)")
	case dim == nil:
		v.add("dimension", "unknown entity %q", v.q.Dimension)
	}
	if v.q.Where == nil {
		v.add("where", `the query has no condition: use {"and": []} to select every row`)
		return
	}
	if dim == nil {
		return // Paths mean nothing without the entity they start from.
	}
	v.node("where", v.q.Where, dim, 1)
}

// node checks one node evaluated for rows of entity e at nesting depth.
func (v *validator) node(path string, n *Node, e *datamodel.Entity, depth int) {
	if v.tooMany || v.tooDeep {
		return
	}
	if n == nil {
		v.add(path, "the node is missing (null)")
		return
	}
	v.nodes++
	if v.nodes > MaxNodes {
		v.tooMany = true
		v.add(path, "the query holds more than %d nodes", MaxNodes)
		return
	}
	if depth > MaxDepth {
		v.tooDeep = true
		v.add(path, "the query nests deeper than %d levels", MaxDepth)
		return
	}
	var forms []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"and", n.And != nil}, {"or", n.Or != nil}, {"not", n.Not != nil},
		{"attr", n.Attr != "" || n.Op != ""}, {"link", n.Link != ""}, {"audience", n.Audience != ""},
	} {
		if f.set {
			forms = append(forms, f.name)
		}
	}
	if len(forms) > 1 {
		v.add(path, "a node holds exactly one of and, or, not, attr, link, audience; this one has %s", strings.Join(forms, ", "))
		return
	}
	form := "and" // {} means everything, like {"and": []}: Go's JSON encoder drops an empty and.
	if len(forms) == 1 {
		form = forms[0]
	}
	v.stray(path, n, form)
	switch form {
	case "and":
		for i, c := range n.And {
			v.node(path+".and["+strconv.Itoa(i)+"]", c, e, depth+1)
		}
	case "or":
		if len(n.Or) == 0 {
			v.add(path, `an empty "or" matches nothing: give it at least one condition`)
		}
		for i, c := range n.Or {
			v.node(path+".or["+strconv.Itoa(i)+"]", c, e, depth+1)
		}
	case "not":
		v.node(path+".not", n.Not, e, depth+1)
	case "attr":
		v.attr(path, n, e)
	case "link":
		v.link(path, n, e, depth)
	case "audience":
		v.audience(path, n, e)
	}
}

// stray reports fields that belong to another form of node.
func (v *validator) stray(path string, n *Node, form string) {
	var extra []string
	if form != "attr" {
		if n.Value != nil {
			extra = append(extra, "value")
		}
		if n.CaseInsensitive {
			extra = append(extra, "case_insensitive")
		}
	}
	if form != "link" {
		if n.Where != nil {
			extra = append(extra, "where")
		}
		if n.Count != nil {
			extra = append(extra, "count")
		}
		if n.Aggregate != nil {
			extra = append(extra, "aggregate")
		}
	}
	if len(extra) == 0 {
		return
	}
	hint := ""
	if form != "link" && (n.Where != nil || n.Count != nil || n.Aggregate != nil) {
		hint = " (where, count and aggregate go with link)"
	}
	v.add(path, "unexpected %s on %s node%s", strings.Join(extra, ", "), formArticle(form), hint)
}

func formArticle(form string) string {
	switch form {
	case "and", "or", "attr", "audience":
		return "an " + form
	}
	return "a " + form
}

// attr checks an attribute condition.
func (v *validator) attr(path string, n *Node, e *datamodel.Entity) {
	var a *datamodel.Attribute
	if n.Attr == "" {
		v.add(path, "the condition names no attribute")
	} else if _, ra, err := ResolveAttr(v.m, e, n.Attr); err != nil {
		v.add(path, "attribute %q: %v", n.Attr, err)
	} else {
		a = ra
	}
	o, known := operators[n.Op]
	switch {
	case n.Op == "":
		v.add(path, "the condition has no op")
		return
	case !known:
		v.add(path, "unknown operator %q", n.Op)
		return
	}
	if n.CaseInsensitive && !o.caseInsensitive {
		v.add(path, "case_insensitive applies only to %s", caseInsensitiveOps())
	}
	if a == nil {
		return
	}
	if !takesType(o.types, a.Type) {
		v.add(path, "operator %s does not apply to %s (%s); it takes %s", n.Op, n.Attr, a.Type, typeList(o.types))
		return
	}
	if msg := v.opValue(o, a, n.Value); msg != "" {
		v.add(path, "%s %s: %s", n.Attr, n.Op, msg)
	}
}

// opValue checks the value of operator o on attribute a, by the kind of
// value o takes, and returns what is wrong with it, or "".
func (v *validator) opValue(o *operator, a *datamodel.Attribute, val any) string {
	if o.value == valueNone {
		if val != nil {
			return "takes no value"
		}
		return ""
	}
	val, msg := v.param(val)
	if msg != "" {
		return msg
	}
	if val == nil {
		if o.name == OpEq || o.name == OpNe {
			return "the value is missing (to find missing values use is_null or is_not_null)"
		}
		return "the value is missing"
	}
	switch o.value {
	case valueOne:
		_, msg := v.scalar(a, val)
		return msg
	case valueList:
		return v.listValue(a, val)
	case valuePair:
		return v.pairValue(a, val)
	case valueString:
		if _, ok := val.(string); !ok {
			return "want a string, got " + describe(val)
		}
	case valueDuration:
		s, ok := val.(string)
		if !ok {
			return "want a duration such as \"90d\", got " + describe(val)
		}
		if _, err := ParseDuration(s); err != nil {
			return err.Error()
		}
	case valueWeekdays:
		return v.weekdaysValue(val)
	case valueDays:
		d, err := Coerce(validateIntAttr, val)
		if err != nil {
			return "want a number of days from 0 to 366: " + err.Error()
		}
		if n := d.(int64); n < 0 || n > 366 {
			return fmt.Sprintf("%d days is out of range: want 0 to 366", n)
		}
	default:
		return fmt.Sprintf("operator %s: no check for its kind of value", o.name)
	}
	return ""
}

// listValue checks the list of in and not_in.
func (v *validator) listValue(a *datamodel.Attribute, val any) string {
	list, ok := val.([]any)
	if !ok {
		return "want a list of values, got " + describe(val)
	}
	if len(list) == 0 {
		return "the list is empty"
	}
	if len(list) > MaxInValues {
		return fmt.Sprintf("the list holds %d values; at most %d are allowed", len(list), MaxInValues)
	}
	for i, x := range list {
		if _, msg := v.scalar(a, x); msg != "" {
			return fmt.Sprintf("value %d: %s", i+1, msg)
		}
	}
	return ""
}

// pairValue checks the [low, high] of between.
func (v *validator) pairValue(a *datamodel.Attribute, val any) string {
	list, ok := val.([]any)
	if !ok || len(list) != 2 {
		return "want two values [low, high], got " + describe(val)
	}
	lo, msg := v.scalar(a, list[0])
	if msg != "" {
		return "low end: " + msg
	}
	hi, msg := v.scalar(a, list[1])
	if msg != "" {
		return "high end: " + msg
	}
	if validateOrder(lo, hi) > 0 {
		return "the low end is greater than the high end"
	}
	return ""
}

// weekdaysValue checks the day names of day_of_week.
func (v *validator) weekdaysValue(val any) string {
	list, ok := val.([]any)
	if !ok || len(list) == 0 {
		return "want a list of days such as [\"sat\", \"sun\"], got " + describe(val)
	}
	if len(list) > 7 {
		return "at most 7 days"
	}
	for i, x := range list {
		x, msg := v.param(x)
		if msg != "" {
			return fmt.Sprintf("day %d: %s", i+1, msg)
		}
		s, ok := x.(string)
		if !ok {
			return fmt.Sprintf("day %d: want a day name such as \"mon\", got %s", i+1, describe(x))
		}
		if _, err := ParseWeekday(s); err != nil {
			return err.Error()
		}
	}
	return ""
}

var validateIntAttr = &datamodel.Attribute{Name: "n", Type: datamodel.TypeInteger}

// param replaces a Param with the query's value for it.
func (v *validator) param(val any) (any, string) {
	p, ok := val.(Param)
	if !ok {
		return val, ""
	}
	if p.Param == "" {
		return nil, "a parameter needs a name"
	}
	pv, ok := v.q.Params[p.Param]
	if !ok {
		return nil, fmt.Sprintf("parameter %q is not given", p.Param)
	}
	if _, nested := pv.(Param); nested {
		return nil, fmt.Sprintf("parameter %q: its value cannot be another parameter", p.Param)
	}
	return pv, ""
}

// scalar coerces one value (after parameters) to a's type.
func (v *validator) scalar(a *datamodel.Attribute, x any) (any, string) {
	x, msg := v.param(x)
	if msg != "" {
		return nil, msg
	}
	if x == nil {
		return nil, "null is not a value here (use is_null or is_not_null)"
	}
	t, err := Coerce(a, x)
	if err != nil {
		return nil, err.Error()
	}
	if tm, ok := t.(time.Time); ok && (tm.Year() < 1 || tm.Year() > 9999) {
		return nil, fmt.Sprintf("%s is out of range (years 1–9999)", describe(x))
	}
	return t, ""
}

// validateOrder orders two values Coerce returned for the same type.
func validateOrder(a, b any) int {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
		}
	case *big.Rat:
		if y, ok := b.(*big.Rat); ok {
			return x.Cmp(y)
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	}
	return 0
}

// link checks a condition on related rows.
func (v *validator) link(path string, n *Node, e *datamodel.Entity, depth int) {
	_, many, err := ResolveLink(v.m, e, n.Link)
	if err != nil {
		v.add(path, "link %q: %v", n.Link, err)
	}
	if n.Count != nil && n.Aggregate != nil {
		v.add(path, "count and aggregate cannot both be set: use two conditions")
	}
	if n.Count != nil {
		v.count(path+".count", n.Count)
	}
	if err != nil {
		return // Without the linked entity, where and aggregate mean nothing.
	}
	if n.Aggregate != nil {
		v.aggregate(path+".aggregate", n.Aggregate, many.To)
	}
	if n.Where != nil {
		v.node(path+".where", n.Where, many.To, depth+1)
	}
}

var countCompareOps = []string{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe}

func isCompareOp(op string) bool {
	for _, o := range countCompareOps {
		if o == op {
			return true
		}
	}
	return false
}

func (v *validator) count(path string, c *Compare) {
	if !isCompareOp(c.Op) {
		v.add(path, "unknown comparison %q: want one of = != < <= > >=", c.Op)
	}
	val, msg := v.param(c.Value)
	if msg != "" {
		v.add(path, "%s", msg)
		return
	}
	n, err := Coerce(validateIntAttr, val)
	if err != nil {
		v.add(path, "a count compares with a whole number: %v", err)
		return
	}
	if n.(int64) < 0 {
		v.add(path, "a count compares with a number of rows, 0 or more")
	}
}

var aggregateTypes = map[string][]datamodel.Type{
	FnSum: {datamodel.TypeInteger, datamodel.TypeDecimal},
	FnAvg: {datamodel.TypeInteger, datamodel.TypeDecimal},
	FnMin: {datamodel.TypeInteger, datamodel.TypeDecimal, datamodel.TypeDate, datamodel.TypeTimestamp},
	FnMax: {datamodel.TypeInteger, datamodel.TypeDecimal, datamodel.TypeDate, datamodel.TypeTimestamp},
}

var validateDecimalAttr = &datamodel.Attribute{Name: "n", Type: datamodel.TypeDecimal}

func (v *validator) aggregate(path string, g *Aggregate, e *datamodel.Entity) {
	types, known := aggregateTypes[g.Fn]
	switch {
	case g.Fn == FnCount:
		v.add(path, `count is written {"link": …, "count": {"op": …, "value": …}}, not as an aggregate`)
	case !known:
		v.add(path, "unknown aggregate function %q: want sum, avg, min or max", g.Fn)
	}
	if !isCompareOp(g.Op) {
		v.add(path, "unknown comparison %q: want one of = != < <= > >=", g.Op)
	}
	var a *datamodel.Attribute
	if g.Attr == "" {
		v.add(path, "the aggregate names no attribute")
	} else if hops, ra, err := ResolveAttr(v.m, e, g.Attr); err != nil {
		v.add(path, "attribute %q: %v", g.Attr, err)
	} else if len(hops) > 0 {
		v.add(path, "attribute %q: an aggregate takes an attribute of %s itself", g.Attr, e.Name)
	} else {
		a = ra
	}
	if a == nil || !known {
		return
	}
	if !takesType(types, a.Type) {
		v.add(path, "%s does not apply to %s (%s); it takes %s", g.Fn, g.Attr, a.Type, typeList(types))
		return
	}
	target := a
	if g.Fn == FnAvg {
		target = validateDecimalAttr // An average of integers need not be whole.
	}
	if _, msg := v.scalar(target, g.Value); msg != "" {
		v.add(path, "%s", msg)
	}
}

// audience checks membership of a saved audience.
func (v *validator) audience(path string, n *Node, e *datamodel.Entity) {
	if v.audiences == nil {
		v.add(path, "audience %q: saved audiences are not available here", n.Audience)
		return
	}
	dim, ok := v.audiences(n.Audience)
	switch {
	case !ok:
		v.add(path, "unknown audience %q", n.Audience)
	case e.Name != v.q.Dimension:
		v.add(path, "audience %q: membership applies to %s rows, not %s", n.Audience, v.q.Dimension, e.Name)
	case dim != e.Name:
		v.add(path, "audience %q selects %s, not %s", n.Audience, dim, e.Name)
	}
}

package campaign

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/docparse"
)

// Conversion is what a run's report counts for the members of a split's
// subsets (report.conversions): an audience query over the split's rows,
// in which $sent_at is each member's reference time (when its message
// was sent) and $window_end that time plus Within. It never changes what
// a run does. See docs/tracking.md.
type Conversion struct {
	// Name is an identifier, unique among the campaign's conversions.
	Name string `json:"name"`
	// Query is the condition, in the text syntax of audience queries.
	Query string `json:"query"`
	// Within is the conversion window, $window_end − $sent_at; zero when
	// the query uses no $window_end.
	Within Duration `json:"within,omitzero"`
}

// ConversionRefs are the reference parameters a conversion's query may
// use beside the campaign's variables.
var ConversionRefs = []string{audience.RefSentAt, audience.RefWindowEnd}

// report reads the report's settings: conversions, a list of {name,
// query, within}.
func (p *docParser) report(path string, e docparse.Entry) {
	f, ok := p.Object(path, e.Line, e.Value, "conversions")
	if !ok {
		return
	}
	v, ok := f["conversions"]
	if !ok {
		return
	}
	cp := path + ".conversions"
	list, ok := p.Value(cp, v.Line, v.Value).([]any)
	if !ok {
		p.Add(cp, v.Line, "expected a list of conversions: {name, query, within}")
		return
	}
	for i, x := range list {
		ip := docparse.Index(cp, i)
		m, ok := x.(map[string]any)
		if !ok {
			p.Add(ip, v.Line, "expected a conversion: {name, query, within}")
			continue
		}
		c, err := conversionOf(m)
		if err != nil {
			p.Add(ip, v.Line, "%v", err)
			continue
		}
		p.d.Conversions = append(p.d.Conversions, c)
	}
}

// conversionOf reads one conversion's keys.
func conversionOf(m map[string]any) (Conversion, error) {
	var c Conversion
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return c, fmt.Errorf("%s: expected a string", k)
		}
		switch k {
		case "name":
			c.Name = s
		case "query":
			c.Query = s
		case "within":
			d, err := audience.ParseDuration(s)
			if err != nil {
				return c, fmt.Errorf("within: %v", err)
			}
			c.Within = d
		default:
			return c, fmt.Errorf("unknown key %q: a conversion has name, query and within", k)
		}
	}
	return c, nil
}

// ConversionQuery reads a conversion's query over dimension dim, with the
// campaign's variables; the reference parameters stay unfilled, for the
// compiler to read each member's own (audience.CountOver).
func ConversionQuery(c Conversion, dim string, vars map[string]any) (*audience.Query, error) {
	n, err := audience.ParseText(c.Query)
	if err != nil {
		return nil, fmt.Errorf("cannot read the query: %w", err)
	}
	for _, p := range queryParams(n, nil) {
		switch {
		case p == audience.RefWindowEnd && c.Within.N <= 0:
			return nil, fmt.Errorf("$%s needs a window: set within (7d)", audience.RefWindowEnd)
		case !hasKey(vars, p) && !slices.Contains(ConversionRefs, p):
			return nil, fmt.Errorf("$%s is neither a campaign variable nor one of $%s", p, strings.Join(ConversionRefs, ", $"))
		}
	}
	return &audience.Query{Dimension: dim, Where: n, Params: vars}, nil
}

// withRefs returns q with a timestamp standing for each reference, to
// validate it: the compiler reads each member's own.
func withRefs(q *audience.Query) *audience.Query {
	out := *q
	out.Params = map[string]any{}
	for k, v := range q.Params {
		out.Params[k] = v
	}
	for _, r := range ConversionRefs {
		if _, ok := out.Params[r]; !ok {
			out.Params[r] = "2000-01-01T00:00:00Z"
		}
	}
	return &out
}

// conversions checks report.conversions against the campaign's
// dimension (the splits' rows are of it unless an activity changes it).
func (v *validator) conversions() {
	seen := map[string]bool{}
	for i, c := range v.d.Conversions {
		path := docparse.Index("report.conversions", i)
		switch {
		case !isIdent(c.Name):
			v.add("", path+".name", "conversion %q: a name is a letter or '_' followed by letters, digits and '_'", c.Name)
		case seen[c.Name]:
			v.add("", path+".name", "conversion %q is defined twice", c.Name)
		}
		seen[c.Name] = true
		if c.Within != (Duration{}) && c.Within.N <= 0 {
			v.add("", path+".within", "within %s: a window longer than 0", c.Within)
		}
		if ret := v.d.Policy.Retention; c.Within.N > 0 && ret.N > 0 && c.Within.Shift(epoch, 1).After(ret.Shift(epoch, 1)) {
			v.add("", path+".within", "within %s is longer than policy.retention (%s): the subsets' rows would be dropped before the window closes", c.Within, ret)
		}
		if strings.TrimSpace(c.Query) == "" {
			v.add("", path+".query", "a conversion needs a query")
			continue
		}
		q, err := ConversionQuery(c, v.d.Dimension, v.d.Variables)
		if err != nil {
			v.add("", path+".query", "%v", err)
			continue
		}
		if v.d.Dimension == "" || v.m.Entity(v.d.Dimension) == nil {
			continue
		}
		if err := audience.Validate(v.m, withRefs(q), v.audiences); err != nil {
			v.add("", path+".query", "%v", err)
		}
	}
}

// epoch measures durations of calendar units against each other.
var epoch = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

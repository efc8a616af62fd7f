package campaign

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/docparse"
	"github.com/goccy/go-yaml/ast"
)

// MaxDocumentSize bounds the documents Parse reads.
const MaxDocumentSize = 4 << 20

// Parse reads a campaign document (YAML, or JSON, which is YAML), keeping
// the order of activities and the line of every value. It reports problems
// of shape — syntax, unknown fields, values of the wrong kind, unreadable
// transitions, times and durations — as a *ValidationError; Validate
// checks the rest. Parse fills the policy defaults.
func Parse(doc []byte) (*Document, error) {
	if len(doc) > MaxDocumentSize {
		return nil, &ValidationError{Problems: []Problem{{Message: fmt.Sprintf("the document is larger than %d bytes", MaxDocumentSize)}}}
	}
	file, err := docparse.ParseBytes(doc)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{problemOf(docparse.SyntaxProblem(err), "")}}
	}
	p := newDocParser(&Document{Policy: DefaultPolicy(), lines: map[string]int{}})
	p.file(file)
	if len(p.problems) > 0 {
		ps := p.problems
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
		return nil, &ValidationError{Problems: ps}
	}
	return p.d, nil
}

type docParser struct {
	docparse.Reader
	d        *Document
	problems []Problem
	activity string // id of the activity being read, for problems
}

func newDocParser(d *Document) *docParser {
	p := &docParser{d: d}
	p.Reader = docparse.Reader{
		Lines: d.lines,
		Report: func(pr docparse.Problem) {
			p.problems = append(p.problems, problemOf(pr, p.activity))
		},
		// Duplicate activity ids are left to Validate, so Mapping keeps
		// them; UniqueMapping has always reported the duplicates after the
		// malformed keys.
		DuplicatesLast: true,
	}
	return p
}

func (p *docParser) file(f *ast.File) {
	body := p.Body(f, "the document is empty: expected a mapping with name, activities and transitions")
	if body == nil {
		return
	}
	fields, ok := p.Object("", 0, body, "name", "description", "dimension", "variables", "schedule", "policy", "report", "activities", "transitions", "layout")
	if !ok {
		return
	}
	d := p.d
	if v, ok := fields["name"]; ok {
		d.Name = p.Text("name", v)
	}
	if v, ok := fields["description"]; ok {
		d.Description = p.Text("description", v)
	}
	if v, ok := fields["dimension"]; ok {
		d.Dimension = p.Text("dimension", v)
	}
	if v, ok := fields["variables"]; ok {
		for _, e := range p.Mapping("variables", v.Line, v.Value) {
			path := "variables." + e.Name
			d.lines[path] = e.Line
			if d.Variables == nil {
				d.Variables = map[string]any{}
			}
			d.Variables[e.Name] = p.Value(path, e.Line, e.Value)
		}
	}
	if v, ok := fields["schedule"]; ok {
		d.Schedule = p.schedule("schedule", v)
	}
	if v, ok := fields["policy"]; ok {
		p.policy("policy", v)
	}
	if v, ok := fields["report"]; ok {
		p.report("report", v)
	}
	if v, ok := fields["activities"]; ok {
		for _, e := range p.Mapping("activities", v.Line, v.Value) {
			p.activityEntry(e)
		}
	}
	if v, ok := fields["transitions"]; ok {
		p.transitions("transitions", v)
	}
	if v, ok := fields["layout"]; ok {
		p.layout("layout", v)
	}
}

// layout reads the canvas positions: activity id → {x, y}, numbers.
func (p *docParser) layout(path string, e docparse.Entry) {
	entries := p.UniqueMapping(path, e.Line, e.Value)
	if len(entries) > 0 {
		p.d.Layout = make(map[string]Position, len(entries))
	}
	for _, a := range entries {
		ap := docparse.Join(path, a.Name)
		p.d.lines[ap] = a.Line
		f, ok := p.Object(ap, a.Line, a.Value, "x", "y")
		if !ok {
			continue
		}
		var pos Position
		for _, c := range []struct {
			name string
			dst  *float64
		}{{"x", &pos.X}, {"y", &pos.Y}} {
			v, ok := f[c.name]
			if !ok {
				p.Add(ap, a.Line, "a position needs x and y")
				break
			}
			*c.dst = p.number(docparse.Join(ap, c.name), v)
		}
		p.d.Layout[a.Name] = pos
	}
}

// number reads a coordinate: a number within ±MaxCoordinate.
func (p *docParser) number(path string, e docparse.Entry) float64 {
	if n, ok := p.Value(path, e.Line, e.Value).(json.Number); ok {
		if f, err := n.Float64(); err == nil && math.Abs(f) <= MaxCoordinate {
			return f + 0 // -0 is 0
		}
	}
	p.Add(path, e.Line, "expected a number from -%d to %d, found %s", MaxCoordinate, MaxCoordinate, docparse.Describe(docparse.Unwrap(e.Value)))
	return 0
}

// MaxCoordinate bounds a layout's coordinates.
const MaxCoordinate = 1_000_000_000

func (p *docParser) instant(path string, e docparse.Entry) time.Time {
	s := p.Text(path, e)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		p.Add(path, e.Line, "%q is not an RFC 3339 time such as 2026-05-01T09:00:00Z", s)
		return time.Time{}
	}
	return t
}

func (p *docParser) schedule(path string, e docparse.Entry) *Schedule {
	s := &Schedule{}
	f, ok := p.Object(path, e.Line, e.Value, "at", "cron", "timezone", "from", "until")
	if !ok {
		return s
	}
	if v, ok := f["at"]; ok {
		s.At = p.instant(path+".at", v)
	}
	if v, ok := f["cron"]; ok {
		s.Cron = p.Text(path+".cron", v)
	}
	if v, ok := f["timezone"]; ok {
		s.TimeZone = p.Text(path+".timezone", v)
	}
	if v, ok := f["from"]; ok {
		s.From = p.instant(path+".from", v)
	}
	if v, ok := f["until"]; ok {
		s.Until = p.instant(path+".until", v)
	}
	return s
}

func (p *docParser) policy(path string, e docparse.Entry) {
	f, ok := p.Object(path, e.Line, e.Value, "on_error", "retries", "retention", "confirm_send", "tracking")
	if !ok {
		return
	}
	pol := &p.d.Policy
	if v, ok := f["on_error"]; ok {
		pol.OnError = p.Text(path+".on_error", v)
	}
	if v, ok := f["retries"]; ok {
		pol.Retries, _ = p.Int(path+".retries", v)
	}
	if v, ok := f["confirm_send"]; ok {
		pol.ConfirmSend = p.Bool(path+".confirm_send", v)
	}
	if v, ok := f["tracking"]; ok {
		pol.Tracking = p.Text(path+".tracking", v)
		if !slices.Contains(TrackingModes, pol.Tracking) {
			p.Add(path+".tracking", v.Line, "tracking %q: want %s", pol.Tracking, strings.Join(TrackingModes, ", "))
		}
	}
	if v, ok := f["retention"]; ok {
		s := p.Text(path+".retention", v)
		d, err := audience.ParseDuration(s)
		if err != nil {
			p.Add(path+".retention", v.Line, "%v", err)
		} else {
			pol.Retention = d
		}
	}
}

func (p *docParser) activityEntry(e docparse.Entry) {
	path := "activities." + e.Name
	p.activity = e.Name
	defer func() { p.activity = "" }()
	if _, seen := p.d.lines[path]; !seen {
		p.d.lines[path] = e.Line
	}
	a := &Activity{ID: e.Name, Line: e.Line, Settings: map[string]any{}}
	p.d.Activities = append(p.d.Activities, a)
	switch docparse.Unwrap(e.Value).(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
	default:
		p.Add(path, e.Line, "expected a mapping with a type and settings, found %s", docparse.Describe(docparse.Unwrap(e.Value)))
		return
	}
	for _, s := range p.UniqueMapping(path, e.Line, e.Value) {
		sp := docparse.Join(path, s.Name)
		p.d.lines[sp] = s.Line
		switch s.Name {
		case "type":
			a.Type = p.Text(sp, s)
		case "label":
			a.Label = p.Text(sp, s)
		default:
			a.Settings[s.Name] = p.Value(sp, s.Line, s.Value)
		}
	}
}

func (p *docParser) transitions(path string, e docparse.Entry) {
	n := docparse.Unwrap(e.Value)
	if _, null := n.(*ast.NullNode); n == nil || null {
		return
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		p.Add(path, e.Line, "expected a list of transitions, found %s", docparse.Describe(n))
		return
	}
	for i, x := range seq.Values {
		tp := docparse.Index(path, i)
		line := docparse.LineOf(docparse.Unwrap(x))
		if line == 0 {
			line = e.Line
		}
		p.d.lines[tp] = line
		t := Transition{Line: line}
		if text, ok := docparse.ScalarText(x); ok {
			var err error
			t.From, t.Output, t.To, err = ParseTransition(text)
			if err != nil {
				p.Add(tp, line, "%v", err)
				continue
			}
		} else {
			f, ok := p.Object(tp, line, x, "from", "output", "to")
			if !ok {
				continue
			}
			for _, k := range []string{"from", "output", "to"} {
				v, ok := f[k]
				if !ok {
					continue
				}
				s := strings.TrimSpace(p.Text(tp+"."+k, v))
				switch k {
				case "from":
					t.From = s
				case "output":
					t.Output = s
				case "to":
					t.To = s
				}
			}
			if t.From == "" || t.To == "" {
				p.Add(tp, line, "a transition needs from and to")
				continue
			}
			if t.Output == "" {
				t.Output = PortOut
			}
		}
		p.d.Transitions = append(p.d.Transitions, t)
	}
}

// ParseTransition reads "from -> to" or "from.output -> to"; output
// defaults to "out".
func ParseTransition(s string) (from, output, to string, err error) {
	left, right, ok := strings.Cut(s, "->")
	left, right = strings.TrimSpace(left), strings.TrimSpace(right)
	if !ok || left == "" || right == "" || strings.Contains(right, "->") {
		return "", "", "", fmt.Errorf("transition %q: write \"from -> to\" or \"from.output -> to\"", s)
	}
	from, output, hasPort := strings.Cut(left, ".")
	from, output = strings.TrimSpace(from), strings.TrimSpace(output)
	if !hasPort {
		output = PortOut
	} else if from == "" || output == "" {
		return "", "", "", fmt.Errorf("transition %q: write \"from.output -> to\"", s)
	}
	return from, output, right, nil
}

package campaign

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/docparse"
	"github.com/robfig/cron/v3"
)

// Validate checks a campaign against a data model and the saved audiences
// (nil when they are not available) and returns a *ValidationError listing
// every problem, each with the activity it concerns, its path and its
// line when known; or nil.
func Validate(d *Document, m *datamodel.Model, audiences audience.AudienceInfo) error {
	v := newValidator(d, m, audiences)
	v.document()
	v.conversions()
	v.activities()
	v.transitions()
	v.connections()
	cyclic := v.cycles()
	v.flow(cyclic)
	if len(v.problems) == 0 {
		return nil
	}
	sort.SliceStable(v.problems, func(i, j int) bool { return v.problems[i].Line < v.problems[j].Line })
	return &ValidationError{Problems: v.problems}
}

func newValidator(d *Document, m *datamodel.Model, audiences audience.AudienceInfo) *validator {
	return &validator{d: d, m: m, audiences: audiences, byID: map[string]*Activity{},
		in: map[string][]int{}, out: map[string][]int{}, settings: map[string]any{}}
}

type validator struct {
	d         *Document
	m         *datamodel.Model
	audiences audience.AudienceInfo
	problems  []Problem
	// byID holds the first activity of each valid, unique id.
	byID map[string]*Activity
	// in and out list the indices of the valid transitions into and out
	// of each activity.
	in, out map[string][]int
	// settings holds the decoded settings of activities whose settings
	// have the right shape.
	settings map[string]any
}

// add records a problem; its line is the path's, or the activity's.
func (v *validator) add(act, path, format string, args ...any) {
	line := v.d.lineOf(path)
	if line == 0 && act != "" {
		if a := v.byID[act]; a != nil {
			line = a.Line
		}
	}
	v.problems = append(v.problems, Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...), Activity: act})
}

func actPath(id string) string { return "activities." + id }

var campaignNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)

// ValidName reports whether name may name a campaign: 1 to 100 letters,
// digits, '_', '-' and '.'.
func ValidName(name string) bool { return campaignNameRE.MatchString(name) }

func (v *validator) document() {
	d := v.d
	switch {
	case d.Name == "":
		v.add("", "name", "the campaign needs a name")
	case !campaignNameRE.MatchString(d.Name):
		v.add("", "name", "name %q: use 1 to 100 letters, digits, '_', '-' and '.'", d.Name)
	}
	if d.Dimension != "" {
		e := v.m.Entity(d.Dimension)
		switch {
		case e == nil:
			v.add("", "dimension", "unknown dimension %q: no such entity in the data model", d.Dimension)
		case e.Targeting == nil:
			v.add("", "dimension", "%s is not a targeting dimension (it has no targeting in the data model)", d.Dimension)
		}
	}
	for _, name := range sortedKeys(d.Variables) {
		if !isIdent(name) {
			v.add("", "variables."+name, "variable %q: a name is a letter or '_' followed by letters, digits and '_'", name)
		}
	}
	if d.Schedule != nil {
		v.schedule("", "schedule", d.Schedule)
	}
	for _, id := range sortedKeys(d.Layout) {
		if d.Activity(id) == nil {
			v.add("", "layout."+id, "layout names %q, which is not an activity of the campaign", id)
		}
	}
	pol := d.Policy
	if pol.OnError != "" && pol.OnError != OnErrorAbort && pol.OnError != OnErrorWait {
		v.add("", "policy.on_error", "on_error %q: want abort or wait", pol.OnError)
	}
	if pol.Retries < 0 || pol.Retries > MaxRetries {
		v.add("", "policy.retries", "retries %d is out of range 0..%d", pol.Retries, MaxRetries)
	}
	if pol.Retention != (Duration{}) && pol.Retention.N <= 0 {
		v.add("", "policy.retention", "retention %s: keep working tables for more than 0", pol.Retention)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// schedule checks a document schedule or a scheduler's settings.
func (v *validator) schedule(act, path string, s *Schedule) {
	switch {
	case s.At.IsZero() && s.Cron == "":
		v.add(act, path, "give at (one run) or cron (a run at each occurrence)")
	case !s.At.IsZero() && s.Cron != "":
		v.add(act, path+".cron", "give at or cron, not both")
	}
	if s.Cron != "" {
		if n := len(strings.Fields(s.Cron)); n != 5 {
			v.add(act, path+".cron", "cron %q: want 5 fields (minute hour day-of-month month day-of-week), found %d", s.Cron, n)
		} else if _, err := cron.ParseStandard(s.Cron); err != nil {
			v.add(act, path+".cron", "cron %q: %v", s.Cron, err)
		}
	}
	if !s.At.IsZero() && (!s.From.IsZero() || !s.Until.IsZero()) {
		v.add(act, path, "from and until bound the occurrences of cron; a single run (at) takes neither")
	}
	if tz := s.TimeZone; tz != "" {
		if tz == "Local" {
			v.add(act, path+".timezone", `time zone "Local" is the server's: name an IANA zone such as Europe/Paris`)
		} else if _, err := time.LoadLocation(tz); err != nil {
			v.add(act, path+".timezone", "unknown time zone %q: name an IANA zone such as Europe/Paris", tz)
		}
	}
	if !s.From.IsZero() && !s.Until.IsZero() && s.From.After(s.Until) {
		v.add(act, path+".until", "until (%s) is before from (%s)", s.Until.Format(time.RFC3339), s.From.Format(time.RFC3339))
	}
}

// activities checks ids, types and the shape of every activity's settings.
func (v *validator) activities() {
	first := map[string]*Activity{}
	for _, a := range v.d.Activities {
		path := actPath(a.ID)
		if !isIdent(a.ID) {
			v.problems = append(v.problems, Problem{Path: path, Line: a.Line, Activity: a.ID,
				Message: fmt.Sprintf("activity id %q: an id is a letter or '_' followed by letters, digits and '_' (at most 64)", a.ID)})
			continue
		}
		if f, dup := first[a.ID]; dup {
			v.problems = append(v.problems, Problem{Path: path, Line: a.Line, Activity: a.ID,
				Message: fmt.Sprintf("duplicate activity id %q (first at line %d)", a.ID, f.Line)})
			continue
		}
		first[a.ID] = a
		v.byID[a.ID] = a
		t, ok := Types[a.Type]
		switch {
		case a.Type == "":
			v.add(a.ID, path, "the activity needs a type (one of %s)", strings.Join(TypeNames(), ", "))
			continue
		case !ok:
			v.add(a.ID, path+".type", "unknown activity type %q (valid: %s)", a.Type, strings.Join(TypeNames(), ", "))
			continue
		}
		s := t.settings()
		if !v.shape(a.ID, path, a.Settings, s) {
			continue
		}
		if err := a.Decode(s); err != nil {
			v.add(a.ID, path, "%v", err)
			continue
		}
		v.settings[a.ID] = s
	}
	if len(v.d.Activities) == 0 {
		v.add("", "activities", "the campaign has no activities")
	}
}

// transitions checks both ends of every transition and indexes the valid
// ones.
func (v *validator) transitions() {
	seen := map[Transition]int{}
	for i, t := range v.d.Transitions {
		path := docparse.Index("transitions", i)
		key := Transition{From: t.From, Output: t.Output, To: t.To}
		if j, dup := seen[key]; dup {
			v.addAt(t.From, path, t.Line, "duplicate transition %s (also transitions[%d])", t, j)
			continue
		}
		seen[key] = i
		from, to := v.byID[t.From], v.byID[t.To]
		ok := true
		if from == nil {
			v.addAt("", path, t.Line, "transition %s: unknown activity %q", t, t.From)
			ok = false
		}
		if to == nil {
			v.addAt("", path, t.Line, "transition %s: unknown activity %q", t, t.To)
			ok = false
		}
		if !ok {
			continue
		}
		if ti, known := Types[to.Type]; known && ti.Entry {
			v.addAt(to.ID, path, t.Line, "transition %s: %s is an entry activity (%s): nothing leads into it", t, to.ID, to.Type)
			ok = false
		}
		if _, known := Types[from.Type]; known {
			if _, decoded := v.settings[from.ID]; decoded || !Types[from.Type].Dynamic {
				ports, _ := from.Outputs()
				switch {
				case from.Type == "end":
					v.addAt(from.ID, path, t.Line, "transition %s: an end activity has no outputs: it finishes its branch", t)
					ok = false
				case !slices.Contains(ports, t.Output):
					v.addAt(from.ID, path, t.Line, "transition %s: %s (%s) has no output %q (outputs: %s)", t, from.ID, from.Type, t.Output, strings.Join(ports, ", "))
					ok = false
				}
			}
		}
		if ok {
			v.out[t.From] = append(v.out[t.From], i)
			v.in[t.To] = append(v.in[t.To], i)
		}
	}
}

func (v *validator) addAt(act, path string, line int, format string, args ...any) {
	v.problems = append(v.problems, Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...), Activity: act})
}

// String renders the transition as "from.output -> to".
func (t Transition) String() string {
	if t.Output == "" || t.Output == PortOut {
		return t.From + " -> " + t.To
	}
	return t.From + "." + t.Output + " -> " + t.To
}

// connections checks the number of inputs, unconnected outputs and the
// presence of an entry activity.
func (v *validator) connections() {
	entries := 0
	for _, a := range v.d.Activities {
		t, ok := Types[a.Type]
		if !ok || v.byID[a.ID] != a {
			continue
		}
		path := actPath(a.ID)
		n := len(v.in[a.ID])
		switch {
		case t.Entry:
			entries++
		case n == 0:
			v.add(a.ID, path, "no transition leads to %s: it would never run", a.ID)
		case n < t.MinInputs:
			v.add(a.ID, path, "%s takes at least %d inputs, found %d", a.Type, t.MinInputs, n)
		case t.MaxInputs >= 0 && n > t.MaxInputs:
			v.add(a.ID, path, "%s takes %s, found %d", a.Type, inputCount(t.MaxInputs), n)
		}
		if _, decoded := v.settings[a.ID]; !decoded && t.Dynamic {
			continue // The ports depend on settings that cannot be read.
		}
		used := map[string]bool{}
		for _, i := range v.out[a.ID] {
			used[v.d.Transitions[i].Output] = true
		}
		for _, port := range a.requiredOutputs() {
			if !used[port] {
				v.add(a.ID, path, "output %s.%s leads nowhere: connect it (to an end activity if the branch stops here)", a.ID, port)
			}
		}
	}
	if entries == 0 && len(v.d.Activities) > 0 {
		v.add("", "activities", "the campaign has no entry activity: add a start, scheduler or signal")
	}
}

func inputCount(n int) string {
	if n == 1 {
		return "1 input"
	}
	return fmt.Sprintf("at most %d inputs", n)
}

// cycles reports every loop of the graph and returns the activities on
// one.
func (v *validator) cycles() map[string]bool {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	onCycle := map[string]bool{}
	reported := map[string]bool{}
	var stack []string
	var visit func(id string)
	visit = func(id string) {
		color[id] = grey
		stack = append(stack, id)
		for _, i := range v.out[id] {
			t := v.d.Transitions[i]
			switch color[t.To] {
			case white:
				visit(t.To)
			case grey:
				start := slices.Index(stack, t.To)
				loop := append(slices.Clone(stack[start:]), t.To)
				for _, x := range loop {
					onCycle[x] = true
				}
				key := canonicalLoop(loop[:len(loop)-1])
				if !reported[key] {
					reported[key] = true
					v.addAt(t.To, docparse.Index("transitions", i), t.Line, "cycle: %s", strings.Join(loop, " -> "))
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[id] = black
	}
	for _, a := range v.d.Activities {
		if v.byID[a.ID] == a && color[a.ID] == white {
			visit(a.ID)
		}
	}
	return onCycle
}

// canonicalLoop names a loop independently of where it was entered.
func canonicalLoop(ids []string) string {
	best := 0
	for i := range ids {
		if ids[i] < ids[best] {
			best = i
		}
	}
	return strings.Join(append(slices.Clone(ids[best:]), ids[:best]...), ",")
}

package campaign

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/docparse"
)

// Settings values that do not depend on the data model.
var (
	dedupMethods     = []string{"random", "highest", "lowest", "non_empty"}
	enrichAggregates = []string{audience.FnCount, audience.FnSum, audience.FnAvg, audience.FnMin, audience.FnMax}
	fileFormats      = []string{"csv", "tsv", "jsonl"}
)

// MaxEnrichFirst bounds the related rows an enrich column lists.
const MaxEnrichFirst = 100

// static checks the settings of an activity that do not depend on the data
// model or on the graph's dimensions, with its type's check.
func (v *validator) static(a *Activity, settings any) {
	if check := Types[a.Type].check; check != nil {
		check(v, a, settings)
	}
}

func (v *validator) checkScheduler(a *Activity, s *Scheduler) {
	v.schedule(a.ID, actPath(a.ID), s)
}

func (v *validator) checkSignal(a *Activity, s *Signal) {
	id, path := a.ID, actPath(a.ID)
	seen := map[string]bool{}
	for i, p := range s.Params {
		pp := docparse.Index(path+".params", i)
		switch {
		case !isIdent(p):
			v.add(id, pp, "parameter %q: a name is a letter or '_' followed by letters, digits and '_'", p)
		case seen[p]:
			v.add(id, pp, "parameter %q is listed twice", p)
		}
		seen[p] = true
	}
}

func (v *validator) checkWait(a *Activity, s *Wait) {
	id, path := a.ID, actPath(a.ID)
	switch {
	case s.Duration == "" && s.Until.IsZero():
		v.add(id, path, "give duration (such as 2h or 3d) or until (an RFC 3339 time)")
	case s.Duration != "" && !s.Until.IsZero():
		v.add(id, path+".until", "give duration or until, not both")
	case s.Duration != "":
		if d, err := audience.ParseDuration(s.Duration); err != nil {
			v.add(id, path+".duration", "%v", err)
		} else if d.N == 0 {
			v.add(id, path+".duration", "a wait of 0 does nothing: remove the activity or give a longer duration")
		}
	}
}

func (v *validator) checkAndJoin(a *Activity, s *AndJoin) {
	v.inputID(a, actPath(a.ID)+".primary", s.Primary)
}

func (v *validator) checkEnd(a *Activity, s *End) {
	id, path := a.ID, actPath(a.ID)
	if s.Signal != nil && strings.TrimSpace(s.Signal.Campaign) == "" {
		v.add(id, path+".signal.campaign", "signal names no campaign to start")
	} else if s.Signal != nil && !campaignNameRE.MatchString(s.Signal.Campaign) {
		v.add(id, path+".signal.campaign", "campaign name %q: use 1 to 100 letters, digits, '_', '-' and '.'", s.Signal.Campaign)
	}
}

func (v *validator) checkBuildAudience(a *Activity, s *BuildAudience) {
	v.queryGiven(a.ID, actPath(a.ID), s.Query, s.Where != nil)
}

func (v *validator) checkIncremental(a *Activity, s *IncrementalQuery) {
	id, path := a.ID, actPath(a.ID)
	v.queryGiven(id, path, s.Query, s.Where != nil)
	if s.Since == "" {
		v.add(id, path+".since", "since names no date or timestamp attribute")
	}
}

func (v *validator) checkReadAudience(a *Activity, s *ReadAudience) {
	if s.Audience == "" {
		v.add(a.ID, actPath(a.ID)+".audience", "name the saved audience to read")
	}
}

func (v *validator) checkCombine(a *Activity, s *Combine) {
	id, path := a.ID, actPath(a.ID)
	switch s.Mode {
	case ModeUnion, ModeIntersection, ModeExclusion:
	case "":
		v.add(id, path+".mode", "give a mode: union, intersection or exclusion")
	default:
		v.add(id, path+".mode", "mode %q: want union, intersection or exclusion", s.Mode)
	}
	if s.Mode == ModeExclusion {
		if s.Primary == "" {
			v.add(id, path+".primary", "an exclusion keeps the rows of its primary input: name it")
		} else {
			v.inputID(a, path+".primary", s.Primary)
		}
	} else if s.Primary != "" && s.Mode != "" {
		v.add(id, path+".primary", "primary applies to exclusion only")
	}
	if s.Mode == ModeUnion && s.Complement {
		v.add(id, path+".complement", "a union leaves no row out: its complement is always empty")
	}
}

func (v *validator) checkDeduplicate(a *Activity, s *Deduplicate) {
	id, path := a.ID, actPath(a.ID)
	if len(s.Fields) == 0 {
		v.add(id, path+".fields", "list the attributes that identify duplicates")
	}
	if s.Keep < 0 {
		v.add(id, path+".keep", "keep %d: keep at least 1 row of each group", s.Keep)
	}
	if s.Method != "" && !slices.Contains(dedupMethods, s.Method) {
		v.add(id, path+".method", "method %q: want %s", s.Method, strings.Join(dedupMethods, ", "))
	}
}

func (v *validator) checkChangeDimension(a *Activity, s *ChangeDimension) {
	if s.Link == "" {
		v.add(a.ID, actPath(a.ID)+".link", "give the link path to the new dimension, such as customer")
	}
}

func (v *validator) checkReconcile(a *Activity, s *Reconcile) {
	id, path := a.ID, actPath(a.ID)
	if len(s.Match) == 0 {
		v.add(id, path+".match", "list the columns to match: [{column, attribute}]")
	}
	for i, m := range s.Match {
		if m.Column == "" || m.Attribute == "" {
			v.add(id, docparse.Index(path+".match", i), "a match needs column and attribute")
		}
	}
}

func (v *validator) checkLoadFile(a *Activity, s *LoadFile) {
	id, path := a.ID, actPath(a.ID)
	if err := CheckFilePath(s.Path); err != nil {
		v.add(id, path+".path", "%s", err)
	}
	if s.Format != "" && !slices.Contains(fileFormats, s.Format) {
		v.add(id, path+".format", "format %q: want %s", s.Format, strings.Join(fileFormats, ", "))
	}
	if len(s.Columns) == 0 {
		v.add(id, path+".columns", "list the file's columns with their types (string, integer, decimal, boolean, date, timestamp)")
	}
	for _, name := range sortedKeys(s.Columns) {
		switch t := datamodel.Type(s.Columns[name]); {
		case !t.Valid():
			v.add(id, path+".columns."+name, "column %s: unknown type %q", name, s.Columns[name])
		case t == datamodel.TypeEnum || t == datamodel.TypeJSON:
			v.add(id, path+".columns."+name, "column %s: a file column cannot be of type %s; use string", name, t)
		}
	}
}

func (v *validator) checkChannel(a *Activity, s *Channel) {
	v.pacing(a, *s)
}

func (v *validator) checkSaveAudience(a *Activity, s *SaveAudience) {
	id, path := a.ID, actPath(a.ID)
	if err := audience.CheckName(s.Audience); err != nil {
		v.add(id, path+".audience", "%s", trimErrPrefix(err))
	}
	if s.Mode != "" && s.Mode != SaveReplace && s.Mode != SaveAppend {
		v.add(id, path+".mode", "mode %q: want replace or append", s.Mode)
	}
}

// trimErrPrefix drops the "invalid request: " of audience errors.
func trimErrPrefix(err error) string {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, audience.ErrInvalidRequest.Error()) {
		return rest
	}
	return msg
}

func (v *validator) queryGiven(id, path, text string, where bool) {
	switch {
	case text == "" && !where:
		v.add(id, path, "give query (text) or where (JSON tree); all selects every row")
	case text != "" && where:
		v.add(id, path+".where", "give query or where, not both")
	}
}

// inputID checks that id names an activity with a transition into a.
func (v *validator) inputID(a *Activity, path, id string) {
	if id == "" {
		return
	}
	for _, i := range v.in[a.ID] {
		if v.d.Transitions[i].From == id {
			return
		}
	}
	v.add(a.ID, path, "%q is not an input of %s", id, a.ID)
}

func (v *validator) test(a *Activity, s *Test) {
	id, path := a.ID, actPath(a.ID)
	if len(s.Branches) == 0 {
		v.add(id, path+".branches", "a test needs at least one branch: [{name, if}]")
	}
	declared := map[string]bool{}
	for _, x := range v.d.Activities {
		if sig, ok := v.settings[x.ID].(*Signal); ok {
			for _, p := range sig.Params {
				declared[p] = true
			}
		}
	}
	names := map[string]bool{}
	for i, b := range s.Branches {
		bp := docparse.Index(path+".branches", i)
		v.portName(id, bp+".name", b.Name, PortDefault, names)
		if strings.TrimSpace(b.If) == "" {
			v.add(id, bp+".if", "the branch has no condition")
			continue
		}
		c, err := ParseCondition(b.If)
		if err != nil {
			v.add(id, bp+".if", "%v", err)
			continue
		}
		for _, r := range c.Refs() {
			scope, name, _ := strings.Cut(r, ".")
			switch {
			case scope == "vars" && !hasKey(v.d.Variables, name):
				v.add(id, bp+".if", "%s: %s is not a campaign variable", r, name)
			case scope == "params" && !declared[name]:
				v.add(id, bp+".if", "%s: no signal activity declares parameter %s", r, name)
			}
		}
	}
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// portName checks the name of a dynamic output port.
func (v *validator) portName(id, path, name, reserved string, seen map[string]bool) {
	switch {
	case name == "":
		v.add(id, path, "the output needs a name")
	case !isIdent(name):
		v.add(id, path, "output name %q: a name is a letter or '_' followed by letters, digits and '_'", name)
	case name == reserved:
		v.add(id, path, "%q names the output for the rows no other output takes: choose another name", name)
	case seen[name]:
		v.add(id, path, "output name %q is used twice", name)
	}
	seen[name] = true
}

func (v *validator) splitStatic(a *Activity, s *Split) {
	id, path := a.ID, actPath(a.ID)
	if len(s.Subsets) == 0 {
		v.add(id, path+".subsets", "a split needs at least one subset: [{name, where, limit, order}]")
	}
	names := map[string]bool{}
	for i, sub := range s.Subsets {
		sp := docparse.Index(path+".subsets", i)
		v.portName(id, sp+".name", sub.Name, PortRemainder, names)
		if _, _, err := sub.Limit.Parse(); err != nil {
			v.add(id, sp+".limit", "%v", err)
		}
		if sub.Order != "" {
			if _, _, err := parseOrder(sub.Order, true); err != nil {
				v.add(id, sp+".order", "%v", err)
			}
		}
	}
}

// parseOrder reads "random" (when allowed) or "<attribute> asc|desc";
// attr is "" for random.
func parseOrder(s string, random bool) (attr string, desc bool, err error) {
	f := strings.Fields(s)
	switch {
	case random && len(f) == 1 && f[0] == "random":
		return "", false, nil
	case len(f) == 1:
		return f[0], false, nil
	case len(f) == 2 && (f[1] == "asc" || f[1] == "desc"):
		return f[0], f[1] == "desc", nil
	}
	if random {
		return "", false, fmt.Errorf("order %q: want random or <attribute> asc|desc", s)
	}
	return "", false, fmt.Errorf("order %q: want <attribute> asc|desc", s)
}

func (v *validator) enrichStatic(a *Activity, s *Enrich) {
	id, path := a.ID, actPath(a.ID)
	if len(s.Columns) == 0 {
		v.add(id, path+".columns", "list the columns to add")
	}
	names := map[string]bool{}
	for i, c := range s.Columns {
		cp := docparse.Index(path+".columns", i)
		switch {
		case !isIdent(c.Name):
			v.add(id, cp+".name", "column name %q: a name is a letter or '_' followed by letters, digits and '_'", c.Name)
		case names[c.Name]:
			v.add(id, cp+".name", "column %q is added twice", c.Name)
		}
		names[c.Name] = true
		if c.Link == "" {
			if c.Attribute == "" {
				v.add(id, cp, "give attribute (through to-one links), or link with aggregate or first")
			}
			for _, x := range []struct {
				name string
				set  bool
			}{{"aggregate", c.Aggregate != ""}, {"where", c.Where != ""}, {"first", c.First != 0}, {"order_by", c.OrderBy != ""}, {"attributes", c.Attributes != nil}} {
				if x.set {
					v.add(id, cp+"."+x.name, "%s goes with link", x.name)
				}
			}
			continue
		}
		switch {
		case c.Aggregate == "" && c.First == 0:
			v.add(id, cp, "a column over related rows needs aggregate (count, sum, avg, min, max) or first")
		case c.Aggregate != "" && c.First != 0:
			v.add(id, cp, "give aggregate or first, not both")
		case c.Aggregate != "":
			if !slices.Contains(enrichAggregates, c.Aggregate) {
				v.add(id, cp+".aggregate", "aggregate %q: want %s", c.Aggregate, strings.Join(enrichAggregates, ", "))
			} else if c.Aggregate != audience.FnCount && c.Attribute == "" {
				v.add(id, cp+".attribute", "%s needs the attribute it aggregates", c.Aggregate)
			}
			if c.OrderBy != "" || c.Attributes != nil {
				v.add(id, cp, "order_by and attributes go with first, not aggregate")
			}
		default:
			if c.First < 1 || c.First > MaxEnrichFirst {
				v.add(id, cp+".first", "first %d is out of range 1..%d", c.First, MaxEnrichFirst)
			}
			if len(c.Attributes) == 0 {
				v.add(id, cp+".attributes", "list the attributes of the related rows to add")
			}
			if c.Attribute != "" {
				v.add(id, cp+".attribute", "first takes attributes (a list), not attribute")
			}
			if c.OrderBy != "" {
				if _, _, err := parseOrder(c.OrderBy, false); err != nil {
					v.add(id, cp+".order_by", "%v", err)
				}
			}
		}
	}
}

// MaxRate bounds a channel activity's rate, in messages per second.
const MaxRate = 100000

// pacing checks a channel activity's rate and window, the delivery
// options the dispatcher enforces; the window's timezone_attribute is
// checked against the dimension by channelWindow.
func (v *validator) pacing(a *Activity, s Channel) {
	id, path := a.ID, actPath(a.ID)
	if c, ok := s[OptCategory]; ok && c != CategoryMarketing && c != CategoryTransactional {
		v.add(id, path+"."+OptCategory, "category %v: want %s or %s", c, CategoryMarketing, CategoryTransactional)
	}
	if r, ok := s[OptRate]; ok {
		f, isNum := number(r)
		if !isNum || !(f > 0 && f <= MaxRate) {
			v.add(id, path+".rate", "rate %s: give messages per second, a number more than 0 and at most %d", describeRate(r), MaxRate)
		}
	}
	v.tracking(a, s)
	w, ok := s[OptWindow]
	if !ok {
		return
	}
	wp := path + ".window"
	m, isMap := w.(map[string]any)
	if !isMap {
		v.add(id, wp, "a window is {from: \"09:00\", to: \"20:00\", timezone: \"Europe/Paris\"} or with timezone_attribute")
		return
	}
	for _, k := range sortedKeys(m) {
		switch k {
		case "from", "to", "timezone", "timezone_attribute":
		default:
			v.add(id, wp+"."+k, "unknown window setting %q: want from, to, timezone, timezone_attribute", k)
		}
	}
	var from, to int
	var fromOK, toOK bool
	for _, f := range []struct {
		name string
		min  *int
		ok   *bool
	}{{"from", &from, &fromOK}, {"to", &to, &toOK}} {
		str, _ := m[f.name].(string)
		n, err := ParseClock(str)
		if err != nil {
			v.add(id, wp+"."+f.name, "%s: %v", f.name, err)
			continue
		}
		*f.min, *f.ok = n, true
	}
	if fromOK && toOK && from == to {
		v.add(id, wp, "the window opens and closes at %s: remove it to send at any time", m["from"])
	}
	tz, hasTZ := m["timezone"]
	attr, hasAttr := m["timezone_attribute"]
	switch {
	case !hasTZ && !hasAttr:
		v.add(id, wp, "give timezone (an IANA zone such as Europe/Paris) or timezone_attribute (an attribute of the dimension holding one)")
	}
	if hasTZ {
		name, _ := tz.(string)
		if _, err := time.LoadLocation(name); err != nil || name == "" || name == "Local" {
			v.add(id, wp+".timezone", "timezone %v: want an IANA zone such as Europe/Paris or UTC", tz)
		}
	}
	if hasAttr {
		if name, _ := attr.(string); name == "" {
			v.add(id, wp+".timezone_attribute", "timezone_attribute names no attribute")
		}
	}
}

// channelWindow checks that a window's timezone_attribute is a string
// attribute of the dimension e the activity sends to.
func (v *validator) channelWindow(a *Activity, e *datamodel.Entity) {
	s, _ := v.settings[a.ID].(*Channel)
	if s == nil || e == nil {
		return
	}
	w, _ := (*s)["window"].(map[string]any)
	name, _ := w["timezone_attribute"].(string)
	if name == "" {
		return
	}
	path := actPath(a.ID) + ".window.timezone_attribute"
	at := e.Attribute(name)
	switch {
	case at == nil:
		v.add(a.ID, path, "attribute %q: %s has no such attribute", name, e.Name)
	case at.Type != datamodel.TypeString:
		v.add(a.ID, path, "attribute %q is of type %s: a time zone is a string (Europe/Paris)", name, at.Type)
	}
}

// ParseClock reads a time of day, "HH:MM" from 00:00 to 23:59, as
// minutes since midnight.
func ParseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("%q: want a time of day HH:MM, such as 09:00", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q: want a time of day HH:MM from 00:00 to 23:59", s)
	}
	return hh*60 + mm, nil
}

// number reads a JSON number of settings (json.Number after Decode, or a
// Go number).
func number(x any) (float64, bool) {
	switch n := x.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

func describeRate(x any) string {
	if s, ok := x.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(x)
}

// tracking checks a channel activity's tracking mode and UTM parameters.
func (v *validator) tracking(a *Activity, s Channel) {
	id, path := a.ID, actPath(a.ID)
	if m, ok := s[OptTracking]; ok {
		if str, isStr := m.(string); !isStr || !slices.Contains(TrackingModes, str) {
			v.add(id, path+"."+OptTracking, "tracking %v: want %s", m, strings.Join(TrackingModes, ", "))
		}
	}
	u, ok := s[OptUTM]
	if !ok {
		return
	}
	m, isMap := u.(map[string]any)
	if !isMap {
		v.add(id, path+"."+OptUTM, "utm is {source, medium, campaign, content, term}, each a string")
	}
	for _, k := range sortedKeys(m) {
		switch _, isStr := m[k].(string); {
		case k != "source" && k != "medium" && k != "campaign" && k != "content" && k != "term":
			v.add(id, path+".utm."+k, "unknown UTM parameter %q: want source, medium, campaign, content, term", k)
		case !isStr:
			v.add(id, path+".utm."+k, "utm %s: give a string", k)
		}
	}
}

package message

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// Context is what a template sees for one recipient: "profile" (the
// dimension's row with its linked data), "target" (the run's enrichment
// columns), "vars", "campaign" and "run".
type Context map[string]any

// Env is what a campaign and its run add to every recipient's context.
type Env struct {
	// Campaign is the campaign's name ({{ campaign.name }}).
	Campaign string
	// RunID and Mode describe the run ({{ run.id }}, {{ run.mode }}).
	RunID int64
	Mode  string
	// Vars are the campaign and run variables ({{ vars.code }}).
	Vars map[string]any
	// Target names the enrichment columns of the run's target
	// ({{ target.score }}).
	Target []string
	// TargetTypes gives the enrichment columns' types, so validation
	// renders them with values of their type (money on a sum, date on a
	// max of timestamps).
	TargetTypes map[string]datamodel.Type
	// Budget bounds each message's render (zero fields: the defaults);
	// validation refuses a template that exceeds it on the sample profile.
	Budget Budget

	// anyTarget accepts any target column (a preview has no run).
	anyTarget bool
}

// bind adds the environment's names to c.
func (e Env) bind(c Context) {
	vars := make(map[string]any, len(e.Vars))
	for k, v := range e.Vars {
		vars[k] = v
	}
	c["vars"] = vars
	c["campaign"] = map[string]any{"name": e.Campaign}
	c["run"] = map[string]any{"id": e.RunID, "mode": e.Mode}
	if _, ok := c["target"]; !ok {
		c["target"] = map[string]any{}
	}
}

// Problem is one thing wrong with a content spec.
type Problem struct {
	// Field names the spec field ("subject", "headers.X-Campaign").
	Field string `json:"field"`
	// Line is the 1-based line within the field's template, 0 when the
	// problem is not at a line.
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// ValidationError lists every problem of a content spec.
type ValidationError struct {
	Problems []Problem `json:"problems"`
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return "invalid message content: " + strings.Join(parts, "; ")
}

// RenderError is a template that failed for one recipient: that message
// fails with this reason, the send goes on.
type RenderError struct {
	Field string
	Err   error
}

func (e *RenderError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *RenderError) Unwrap() error { return e.Err }

// ErrHeaderInjection is returned when a rendered address or header value
// holds a line break.
var ErrHeaderInjection = errors.New("line breaks are not allowed in addresses and headers")

// field is one template of a spec.
type field struct {
	name string
	src  string
	// header fields (addresses, headers) refuse CR and LF once rendered.
	header bool
}

// textSource says where an email's text body comes from.
type textSource int

const (
	textOwn       textSource = iota // the spec's text field, or none
	textDerived                     // a text template derived from the HTML one
	textConverted                   // each rendered HTML converted
)

// Template is a compiled content spec: every field parsed and checked
// against the data model, ready to render for any recipient.
type Template struct {
	channel string
	fields  []field
	locale  string // the Locale template ("" for the default)
	badge   *int
	push    pushOptions
	text    textSource
	needs   Needs
	env     Env
	budget  Budget
	sample  Context

	engines engines
	mu      sync.Mutex
	parsed  map[string][]*liquidTemplate // per locale, parallel to fields

	smsEncoding         string
	smsSegments, smsLen int
}

// Compile parses every field of a content spec (Email, SMS or Push, a
// pointer to one, or its JSON) for a channel and checks it against the
// data model seen from dimension: syntax, unknown variables, links and
// filters. It returns a *ValidationError listing every problem.
func Compile(m *datamodel.Model, dimension, channel string, spec any, env Env) (*Template, error) {
	dim := m.Entity(dimension)
	if dim == nil {
		return nil, &ValidationError{Problems: []Problem{{Field: "dimension", Message: fmt.Sprintf("unknown entity %q", dimension)}}}
	}
	t := &Template{channel: channel, env: env, budget: env.Budget.orDefault(), parsed: map[string][]*liquidTemplate{}}
	var probs []Problem
	var err error
	switch channel {
	case ChannelEmail:
		probs, err = t.emailFields(spec)
	case ChannelSMS:
		probs, err = t.smsFields(spec)
	case ChannelPush:
		probs, err = t.pushFields(spec)
	default:
		return nil, &ValidationError{Problems: []Problem{{Field: "channel", Message: fmt.Sprintf("unknown channel %q", channel)}}}
	}
	if err != nil {
		return nil, err
	}
	t.fields = append(t.fields, field{"locale", t.locale, false})

	ps, rendered := t.checkFields(m, dim)
	probs = append(probs, ps...)
	probs = append(probs, t.checkAddresses(rendered)...)
	if len(probs) > 0 {
		return nil, &ValidationError{Problems: probs}
	}
	if channel == ChannelSMS {
		t.smsEncoding, t.smsSegments, t.smsLen = SegmentInfo(rendered["text"])
	}
	return t, nil
}

// emailFields decodes an Email spec into t's fields (the headers last, in
// name order) and locale, choosing how the text part is made when only
// HTML is given. It returns the spec's own problems: missing required
// fields and headers that are invalid or Fanfare's to set.
func (t *Template) emailFields(spec any) ([]Problem, error) {
	var s Email
	if err := decodeSpec(spec, &s); err != nil {
		return nil, err
	}
	var probs []Problem
	t.fields = []field{{"from", s.From, true}, {"reply_to", s.ReplyTo, true}, {"subject", s.Subject, false}, {"preheader", s.Preheader, false}, {"html", s.HTML, false}, {"text", s.Text, false}}
	if s.Text == "" && s.HTML != "" {
		t.text = textConverted
		if derived, ok := deriveTextTemplate(s.HTML); ok {
			t.text = textDerived
			t.fields[5].src = derived
		}
	}
	names := make([]string, 0, len(s.Headers))
	for k := range s.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !headerNameRE.MatchString(k) {
			probs = append(probs, Problem{Field: "headers." + k, Message: "not a valid header name"})
		} else if reservedHeaders[strings.ToLower(k)] {
			probs = append(probs, Problem{Field: "headers." + k, Message: "set by Fanfare; use the spec's own field"})
		}
		t.fields = append(t.fields, field{"headers." + k, s.Headers[k], true})
	}
	if s.From == "" {
		probs = append(probs, Problem{Field: "from", Message: "required"})
	}
	if s.Subject == "" {
		probs = append(probs, Problem{Field: "subject", Message: "required"})
	}
	if s.HTML == "" && s.Text == "" {
		probs = append(probs, Problem{Field: "html", Message: "an HTML or a text body is required"})
	}
	t.locale = s.Locale
	return probs, nil
}

// smsFields decodes an SMS spec into t's fields and locale, returning
// the problem of a missing text.
func (t *Template) smsFields(spec any) ([]Problem, error) {
	var s SMS
	if err := decodeSpec(spec, &s); err != nil {
		return nil, err
	}
	var probs []Problem
	t.fields = []field{{"from", s.From, true}, {"text", s.Text, false}}
	if s.Text == "" {
		probs = append(probs, Problem{Field: "text", Message: "required"})
	}
	t.locale = s.Locale
	return probs, nil
}

// pushFields decodes a Push spec into t's fields (the data keys in name
// order, then the iOS and Android options), badge, push options and
// locale, returning the spec's own problems.
func (t *Template) pushFields(spec any) ([]Problem, error) {
	var s Push
	if err := decodeSpec(spec, &s); err != nil {
		return nil, err
	}
	var probs []Problem
	t.fields = []field{{"title", s.Title, false}, {"body", s.Body, false}, {"image", s.Image, false}, {"deep_link", s.DeepLink, false}}
	keys := make([]string, 0, len(s.Data))
	for k := range s.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.fields = append(t.fields, field{"data." + k, s.Data[k], false})
	}
	if s.IOS != nil {
		t.badge = s.IOS.Badge
		t.fields = append(t.fields, field{"ios.sound", s.IOS.Sound, false}, field{"ios.category", s.IOS.Category, false}, field{"ios.collapse_id", s.IOS.CollapseID, true})
	}
	if s.Android != nil {
		t.fields = append(t.fields, field{"android.channel", s.Android.Channel, false}, field{"android.priority", s.Android.Priority, false})
		switch s.Android.Priority {
		case "", "normal", "high":
		default:
			if !strings.Contains(s.Android.Priority, "{") {
				probs = append(probs, Problem{Field: "android.priority", Message: `must be "normal" or "high"`})
			}
		}
	}
	var ps []Problem
	t.push, ps = checkPush(&s)
	probs = append(probs, ps...)
	t.locale = s.Locale
	return probs, nil
}

// checkFields checks every field of t against the data model seen from
// dim, rendering the sample as it goes, and sets t's sample and needs. It
// returns the fields' problems and each field's sample rendering by name.
// A derived text part whose template fails is dropped for conversion.
func (t *Template) checkFields(m *datamodel.Model, dim *datamodel.Entity) ([]Problem, map[string]string) {
	roots := rootShapes(m, dim, t.env)
	t.sample = sampleContext(roots, t.env)
	an := &analyzer{roots: roots, needs: &t.needs}
	known := map[string]bool{}
	for name := range roots {
		known[name] = true
	}
	rendered := make(map[string]string, len(t.fields))
	loc := DefaultLocale
	if t.locale != "" && !strings.ContainsAny(t.locale, "{%") {
		loc = NormalizeLocale(t.locale)
	}
	// The sample renders within one message's budget, all fields together
	// (once strictly, once leniently).
	budgets := [2]*renderState{newRenderState(t.budget), newRenderState(t.budget)}
	var probs []Problem
	for i, f := range t.fields {
		// Names a template binds hold within that template only.
		an.aliases = map[string]*shape{}
		ps := t.check(an, known, loc, f, rendered, budgets)
		if t.text == textDerived && f.name == "text" && len(ps) > 0 {
			// Not the author's template: its problems are the HTML's,
			// reported there; convert each message instead.
			t.fields[i].src, t.text = "", textConverted
			delete(rendered, "text")
			continue
		}
		probs = append(probs, ps...)
	}
	return probs, rendered
}

// check parses one field, reads its paths and renders it over the sample
// context, strictly (to catch unknown top-level names) and then leniently
// (to keep the sample output), spending the budgets of each.
func (t *Template) check(an *analyzer, known map[string]bool, loc string, f field, rendered map[string]string, budgets [2]*renderState) []Problem {
	if f.src == "" {
		return nil
	}
	var probs []Problem
	add := func(line int, msg string) {
		p := Problem{Field: f.name, Line: line, Message: msg}
		if line > 0 {
			p.Message = fmt.Sprintf("line %d: %s", line, msg)
		}
		for _, q := range probs {
			if q == p {
				return
			}
		}
		probs = append(probs, p)
	}
	strict, err := parseSafely(t.engines.get(loc, true), f.src)
	if err != nil {
		add(lineOf(err), liquidMessage(err))
		return probs
	}
	for _, p := range an.analyze(f.src) {
		add(p.line, p.msg)
	}
	if len(probs) > 0 {
		return probs
	}
	if budgets[0].err != nil || budgets[1].err != nil {
		return nil // spent by an earlier field, which reports it
	}
	bindings := map[string]any(t.sample)
	if _, err := renderWithin(strict, bindings, budgets[0]); err != nil {
		msg := liquidMessage(err)
		if msg != "undefined variable" {
			add(lineOf(err), msg)
			return probs
		}
		// The strict engine fails any output that comes to nothing; only
		// a name the template cannot know is a mistake (a sample that a
		// where filter emptied is not).
		if root := rootName(sourceOf(err)); root != "" && !known[root] && an.aliases[root] == nil && root != "forloop" {
			add(lineOf(err), "undefined variable "+root)
			return probs
		}
	}
	lenient, err := parseSafely(t.engines.get(loc, false), f.src)
	if err != nil {
		add(lineOf(err), liquidMessage(err))
		return probs
	}
	out, rerr := renderWithin(lenient, bindings, budgets[1])
	if rerr != nil {
		add(lineOf(rerr), liquidMessage(rerr))
		return probs
	}
	rendered[f.name] = out
	return probs
}

// Needs returns the linked data the templates read.
func (t *Template) Needs() Needs {
	n := Needs{ToOne: append([]string(nil), t.needs.ToOne...)}
	for _, m := range t.needs.Many {
		m.ToOne = append([]string(nil), m.ToOne...)
		n.Many = append(n.Many, m)
	}
	return n
}

// Channel returns the channel the template renders for.
func (t *Template) Channel() string { return t.channel }

// SMSSegments estimates an SMS from its text rendered over the sample
// profile: the encoding, the number of segments and of characters.
func (t *Template) SMSSegments() (encoding string, segments, chars int) {
	return t.smsEncoding, t.smsSegments, t.smsLen
}

// Sample returns the synthetic context Compile rendered the templates
// over, for showing a template's shape in an editor.
func (t *Template) Sample() Context { return t.sample }

func decodeSpec[T any](spec any, out *T) error {
	switch s := spec.(type) {
	case T:
		*out = s
		return nil
	case *T:
		if s == nil {
			return &ValidationError{Problems: []Problem{{Field: "content", Message: "missing"}}}
		}
		*out = *s
		return nil
	case json.RawMessage:
		return decodeJSON(s, out)
	case []byte:
		return decodeJSON(s, out)
	case map[string]any:
		b, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("encode content: %w", err)
		}
		return decodeJSON(b, out)
	}
	return &ValidationError{Problems: []Problem{{Field: "content", Message: fmt.Sprintf("a %T cannot hold this channel's content", spec)}}}
}

func decodeJSON[T any](b []byte, out *T) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return &ValidationError{Problems: []Problem{{Field: "content", Message: err.Error()}}}
	}
	return nil
}

// Channel names, the same as channel.Email and friends.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
	ChannelPush  = "push"
)

var headerNameRE = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+\-.^_` + "`" + `|~]+$`)

// reservedHeaders are written from the spec's own fields or by the
// provider; setting them as extra headers would clash.
var reservedHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "reply-to": true, "subject": true,
	"message-id": true, "date": true, "mime-version": true, "content-type": true,
	"content-transfer-encoding": true, "list-unsubscribe": true, "list-unsubscribe-post": true,
}

// liquidErrorRE takes the message out of "Liquid error (line 3): msg in {{ x }}".
var liquidErrorRE = regexp.MustCompile(`(?s)^Liquid error(?: \(line \d+\))?: (.*?)(?: in (?:\{\{|\{%).*)?$`)

type sourceError interface {
	error
	LineNumber() int
	Cause() error
}

func liquidMessage(err error) string {
	msg := err.Error()
	if m := liquidErrorRE.FindStringSubmatch(msg); m != nil {
		msg = m[1]
	}
	// Captures are ours under another name (limits.go).
	return strings.TrimSpace(strings.ReplaceAll(msg, captureTag, "capture"))
}

func lineOf(err error) int {
	var se sourceError
	if errors.As(err, &se) {
		return se.LineNumber()
	}
	return 0
}

var sourceRE = regexp.MustCompile(`(?s) in ((?:\{\{|\{%).*)$`)

// sourceOf returns the template text an error points at.
func sourceOf(err error) string {
	if m := sourceRE.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return ""
}

var rootRE = regexp.MustCompile(`^(?:\{\{|\{%)-?\s*([A-Za-z_][\w-]*)`)

// rootName returns the first name of an output's expression.
func rootName(src string) string {
	if m := rootRE.FindStringSubmatch(src); m != nil {
		return m[1]
	}
	return ""
}

// renderSafely renders a template, turning a panic in a filter into an
// error: one recipient's odd data must not bring the send down.
// parseSafely parses a template; the library's expression lexer panics
// on some input (an integer literal too large for int64), which becomes a
// syntax error.
func parseSafely(eng *liquidEngine, src string) (tpl *liquidTemplate, err error) {
	defer func() {
		if r := recover(); r != nil {
			tpl, err = nil, parsePanic{fmt.Sprint(r)}
		}
	}()
	tpl, perr := eng.parse(src)
	if perr != nil {
		return nil, perr
	}
	return tpl, nil
}

// parsePanic is a parse that panicked, as the library's errors are.
type parsePanic struct{ msg string }

func (p parsePanic) Error() string   { return "Liquid error: invalid template (" + p.msg + ")" }
func (p parsePanic) Cause() error    { return nil }
func (p parsePanic) Path() string    { return "" }
func (p parsePanic) LineNumber() int { return 0 }

// renderBuffers are the buffers templates render into: a message's HTML
// grown afresh in each render was a fifth of rendering's cost.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func renderSafely(tpl *liquidTemplate, b map[string]any) (out string, err error) {
	return renderWithin(tpl, b, newRenderState(Budget{}))
}

// renderWithin is renderSafely spending a message's budget.
func renderWithin(tpl *liquidTemplate, b map[string]any, st *renderState) (out string, err error) {
	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("template failed: %v", r)
			var le *limitError
			if e, ok := r.(error); ok && errors.As(e, &le) {
				err = e // the library panics when its last write fails
			}
		}
		if buf.Cap() <= 1<<20 {
			renderBuffers.Put(buf)
		}
	}()
	if rerr := tpl.render(buf, b, st); rerr != nil {
		return "", rerr
	}
	return buf.String(), nil
}

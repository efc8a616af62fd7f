package campaign

import (
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/docparse"
)

// Document is a campaign: its settings and its graph of activities.
type Document struct {
	Name        string
	Description string
	// Dimension is the default targeting dimension of the activities.
	Dimension string
	// Variables are the values queries ($name), tests (vars.name) and
	// templates may use; values are JSON-friendly (see Activity.Settings).
	Variables map[string]any
	// Schedule starts runs by itself; nil when runs start by hand or by
	// signal.
	Schedule *Schedule
	Policy   Policy
	// Conversions are what a run's report counts for the members of its
	// splits' subsets (report.conversions); a run never reads them.
	Conversions []Conversion
	// Activities are in document order.
	Activities  []*Activity
	Transitions []Transition
	// Layout places activities on the console's canvas, by activity id;
	// nil when the document has none. It never changes what a run does.
	Layout map[string]Position

	// lines maps a path such as "activities.groups.subsets[1].where" to
	// its line in the parsed document.
	lines map[string]int
}

// Position is where an activity sits on the canvas, in canvas units (the
// console's; the engine never reads it).
type Position struct {
	X, Y float64
}

// Activity is one node of the graph.
type Activity struct {
	ID    string
	Type  string
	Label string
	// Settings holds every key of the activity except type and label, as
	// JSON-friendly values: string, json.Number (or float64), bool, nil,
	// []any and map[string]any.
	Settings map[string]any
	// Line is the line of the activity's id in the document, 0 if unknown.
	Line int
}

// Transition carries the rows of one output of an activity to another.
type Transition struct {
	From string
	// Output is the output port of From, "out" unless given.
	Output string
	To     string
	Line   int
}

// Default policy values, applied by Parse when the document leaves them out.
const (
	OnErrorAbort     = "abort"
	OnErrorWait      = "wait"
	DefaultRetries   = 3
	DefaultRetention = "7d"
	// MaxRetries bounds policy.retries.
	MaxRetries = 100
)

// Policy says how a run deals with failures and how long it keeps its
// working tables.
type Policy struct {
	// OnError is "abort" (a failed activity fails the run) or "wait" (the
	// run waits for an operator to retry it).
	OnError string
	// Retries is the number of attempts on a transient error.
	Retries int
	// Retention is how long working tables of finished runs are kept.
	Retention Duration
	// ConfirmSend holds a live run's messages until an operator confirms
	// the send (after looking at the counts).
	ConfirmSend bool
	// Tracking is the campaign's tracking of opens and clicks (off,
	// anonymous, identified); "" leaves each channel activity its
	// default (identified for marketing, off for transactional).
	Tracking string
}

// Duration is a span such as 7d, read like the durations of audience
// queries: N units of min, h, d, w, mo or y.
type Duration = audience.Duration

// DefaultPolicy returns the policy of a document that gives none.
func DefaultPolicy() Policy {
	d, _ := audience.ParseDuration(DefaultRetention)
	return Policy{OnError: OnErrorAbort, Retries: DefaultRetries, Retention: d}
}

// Schedule says when runs start by themselves: once At, or at each
// occurrence of Cron (5 fields) in TimeZone between From and Until. It is
// also the settings of a scheduler activity.
type Schedule struct {
	At       time.Time `json:"at,omitzero" jsonschema_description:"run once at this instant (RFC 3339); or cron"`
	Cron     string    `json:"cron,omitempty" jsonschema_description:"5 fields: minute hour day-of-month month day-of-week; or at"`
	TimeZone string    `json:"timezone,omitempty" jsonschema_description:"the IANA time zone of cron (default UTC)"`
	From     time.Time `json:"from,omitzero" jsonschema_description:"no occurrence of cron before this instant"`
	Until    time.Time `json:"until,omitzero" jsonschema_description:"no occurrence of cron after this instant"`
}

// Activity returns the activity with the given id, or nil.
func (d *Document) Activity(id string) *Activity {
	for _, a := range d.Activities {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// lineOf returns the line recorded for path or its nearest ancestor
// ("a.b[2].c" → "a.b[2]" → "a.b" → "a").
func (d *Document) lineOf(path string) int { return docparse.Nearest(d.lines, path, ".[") }

// Problem is one thing wrong with a campaign document: a docparse.Problem
// that also names the activity concerned. Its fields are spelled out
// rather than embedded so that callers can still write Problem{Path: …}.
type Problem struct {
	// Path locates the offending value, such as
	// "activities.groups.subsets[1].where" or "transitions[3]".
	Path string `json:"path"`
	// Line is the 1-based line in the document, or 0 when unknown.
	Line int `json:"line"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Activity is the id of the activity concerned, if any.
	Activity string `json:"activity,omitempty"`
}

// problemOf returns p as a problem of the given activity.
func problemOf(p docparse.Problem, activity string) Problem {
	return Problem{Path: p.Path, Line: p.Line, Message: p.Message, Activity: activity}
}

// String renders the problem as "line 12: path: message".
func (p Problem) String() string {
	return docparse.Problem{Path: p.Path, Line: p.Line, Message: p.Message}.String()
}

// ValidationError lists every problem found in a campaign, not just the
// first.
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems, one per line.
func (e *ValidationError) Error() string {
	return docparse.ErrorText("invalid campaign", e.Problems)
}

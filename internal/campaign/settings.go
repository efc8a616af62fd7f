package campaign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Decode fills v, a pointer to a settings struct such as *Split, from the
// activity's settings by a JSON round trip. Unknown settings are errors.
func (a *Activity) Decode(v any) error {
	data, err := json.Marshal(a.Settings)
	if err != nil {
		return fmt.Errorf("encode the settings of %s: %w", a.ID, err)
	}
	if a.Settings == nil {
		data = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if _, free := v.(*Channel); !free {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("settings of %s: %s", a.ID, strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// NoSettings is the settings of start and fork, which take none.
type NoSettings struct{}

// Scheduler is the settings of a scheduler activity.
type Scheduler = Schedule

// Signal is the settings of a signal activity: the names of the parameters
// an API trigger must give.
type Signal struct {
	Params []string `json:"params,omitempty" jsonschema_description:"the names of the parameters an API trigger must give"`
}

// Wait is the settings of a wait activity: a duration (2h, 3d) or an
// instant.
type Wait struct {
	Duration string    `json:"duration,omitempty" jsonschema:"pattern=^[0-9]+ *(min|h|d|w|mo|y)$" jsonschema_description:"how long to wait: a number and a unit min, h, d, w, mo or y (2h, 3d); or until"`
	Until    time.Time `json:"until,omitzero" jsonschema_description:"wait until this instant (RFC 3339); or duration"`
}

// AndJoin is the settings of an and_join activity.
type AndJoin struct {
	// Primary is the id of the input activity whose rows continue
	// (default: the first transition's).
	Primary string `json:"primary,omitempty" jsonschema_description:"the id of the input activity whose rows continue (default: the first transition's)"`
}

// Test is the settings of a test activity.
type Test struct {
	Branches []Branch `json:"branches"`
}

// Branch is one output of a test, taken when If (see ParseCondition) is
// the first true condition.
type Branch struct {
	Name string `json:"name" jsonschema_description:"the output port of this branch (an identifier)"`
	If   string `json:"if" jsonschema_description:"a condition such as count >= 1000 and vars.discount > 10"`
}

// End is the settings of an end activity.
type End struct {
	Signal *SignalCall `json:"signal,omitempty"`
}

// SignalCall starts a run of another campaign when the branch ends.
type SignalCall struct {
	Campaign string         `json:"campaign" jsonschema_description:"the campaign whose run starts when the branch ends"`
	Params   map[string]any `json:"params,omitempty"`
}

// BuildAudience is the settings of a build_audience activity: a query in
// text (Query) or as a JSON tree (Where).
type BuildAudience struct {
	Query     string          `json:"query,omitempty" jsonschema_description:"the audience query in text (all selects every row); or where"`
	Where     json.RawMessage `json:"where,omitempty" jsonschema_description:"the audience query as a JSON tree; or query"`
	Dimension string          `json:"dimension,omitempty" jsonschema_description:"the targeting dimension (default: the campaign's)"`
	SkipEmpty bool            `json:"skip_empty,omitempty" jsonschema_description:"an empty result ends the branch"`
}

// ReadAudience is the settings of a read_audience activity.
type ReadAudience struct {
	Audience string `json:"audience" jsonschema_description:"a saved audience"`
}

// IncrementalQuery is the settings of an incremental_query activity.
type IncrementalQuery struct {
	Query     string          `json:"query,omitempty"`
	Where     json.RawMessage `json:"where,omitempty"`
	Dimension string          `json:"dimension,omitempty"`
	// Since is a date or timestamp attribute of the dimension.
	Since string `json:"since" jsonschema_description:"a date or timestamp attribute: each run returns only rows past the previous run's high-water mark"`
}

// Combine modes.
const (
	ModeUnion        = "union"
	ModeIntersection = "intersection"
	ModeExclusion    = "exclusion"
)

// Combine is the settings of a combine activity.
type Combine struct {
	Mode string `json:"mode" jsonschema:"enum=union,enum=intersection,enum=exclusion"`
	// Primary is the id of the input kept by an exclusion.
	Primary    string `json:"primary,omitempty" jsonschema_description:"the id of the input an exclusion keeps (exclusion only, required)"`
	Complement bool   `json:"complement,omitempty" jsonschema_description:"adds the output complement: the rows left out (not for union)"`
}

// Deduplicate is the settings of a deduplicate activity.
type Deduplicate struct {
	Fields []string `json:"fields" jsonschema:"minItems=1" jsonschema_description:"attribute paths identifying duplicates"`
	Keep   int      `json:"keep,omitempty" jsonschema:"minimum=1,default=1" jsonschema_description:"rows kept of each group of duplicates"`
	Method string   `json:"method,omitempty" jsonschema:"enum=random,enum=highest,enum=lowest,enum=non_empty,default=random"`
	// By is an attribute path (highest, lowest) or a list of them
	// (non_empty).
	By any `json:"by,omitempty" jsonschema_description:"the attribute (highest, lowest) or list of attributes (non_empty) that decides which rows are kept"`
}

// Enrich is the settings of an enrich activity.
type Enrich struct {
	Columns []EnrichColumn `json:"columns" jsonschema:"minItems=1"`
}

// EnrichColumn adds columns to the population: an attribute through to-one
// links; an aggregate over related rows (Link, Aggregate, Attribute,
// Where); or the first N related rows (Link, First, OrderBy, Attributes,
// Where).
type EnrichColumn struct {
	Name       string   `json:"name" jsonschema_description:"the new column (an identifier)"`
	Attribute  string   `json:"attribute,omitempty" jsonschema_description:"an attribute through to-one links; or the related rows' attribute an aggregate reads"`
	Link       string   `json:"link,omitempty" jsonschema_description:"a link path to related rows (for an aggregate or the first N)"`
	Aggregate  string   `json:"aggregate,omitempty" jsonschema:"enum=count,enum=sum,enum=avg,enum=min,enum=max"`
	Where      string   `json:"where,omitempty" jsonschema_description:"a query on the related rows"`
	First      int      `json:"first,omitempty" jsonschema:"minimum=1,maximum=100" jsonschema_description:"the first N related rows, in order_by order"`
	OrderBy    string   `json:"order_by,omitempty" jsonschema_description:"attribute asc or attribute desc"`
	Attributes []string `json:"attributes,omitempty" jsonschema_description:"the related rows' attributes the first N give"`
}

// Split is the settings of a split activity.
type Split struct {
	Subsets   []Subset `json:"subsets" jsonschema:"minItems=1"`
	Remainder bool     `json:"remainder,omitempty" jsonschema_description:"adds the output remainder: the rows no subset takes"`
	Overlap   bool     `json:"overlap,omitempty" jsonschema_description:"lets a row fall in several subsets"`
}

// Subset is one output of a split.
type Subset struct {
	Name  string `json:"name" jsonschema_description:"the subset's output port (an identifier other than remainder)"`
	Where string `json:"where,omitempty" jsonschema_description:"a query the subset's rows match"`
	Limit Limit  `json:"limit,omitempty" jsonschema_description:"a count (100) or a percentage (10%)"`
	// Order is "random" or "<attribute> asc|desc".
	Order string `json:"order,omitempty" jsonschema_description:"random, or attribute asc or attribute desc"`
}

// Limit caps a subset: a count ("100") or a percentage ("10%"). It reads a
// JSON number or string.
type Limit string

// UnmarshalJSON accepts 100, "100" and "10%".
func (l *Limit) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = Limit(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("a limit is a count such as 100 or a percentage such as \"10%%\"")
	}
	*l = Limit(n)
	return nil
}

// Parse returns the count or the percentage of the limit; both are zero for
// an empty limit.
func (l Limit) Parse() (count int64, percent float64, err error) {
	s := strings.TrimSpace(string(l))
	if s == "" {
		return 0, 0, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(f > 0 && f <= 100) {
			return 0, 0, fmt.Errorf("limit %q: a percentage is more than 0 and at most 100", s)
		}
		return 0, f, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, 0, fmt.Errorf("limit %q: want a count of rows (1 or more) such as 100, or a percentage such as 10%%", s)
	}
	return n, 0, nil
}

// ChangeDimension is the settings of a change_dimension activity.
type ChangeDimension struct {
	// Link is a path of to-one links from the current dimension to the new
	// one, such as "customer".
	Link string `json:"link" jsonschema_description:"a path of to-one links from the current dimension to the new one"`
}

// Reconcile is the settings of a reconcile activity.
type Reconcile struct {
	Dimension string  `json:"dimension,omitempty" jsonschema_description:"the dimension the file's rows are matched to (default: the campaign's)"`
	Match     []Match `json:"match" jsonschema:"minItems=1"`
}

// Match pairs a file column with an attribute of the dimension.
type Match struct {
	Column    string `json:"column"`
	Attribute string `json:"attribute"`
}

// LoadFile is the settings of a load_file activity.
type LoadFile struct {
	// Path is relative to the server's files directory (see CheckFilePath).
	Path   string `json:"path" jsonschema_description:"a file of the server's files directory, relative to it"`
	Format string `json:"format,omitempty" jsonschema:"enum=csv,enum=tsv,enum=jsonl,default=csv"`
	// Columns maps column names to data model types.
	Columns map[string]string `json:"columns,omitempty" jsonschema_description:"column name → string, integer, decimal, boolean, date or timestamp"`
}

// SaveAudience modes.
const (
	SaveReplace = "replace"
	SaveAppend  = "append"
)

// SaveAudience is the settings of a save_audience activity.
type SaveAudience struct {
	Audience string `json:"audience" jsonschema_description:"the saved audience's name"`
	Mode     string `json:"mode,omitempty" jsonschema:"enum=replace,enum=append,default=replace"`
}

// Channel is the settings of an email, sms or push activity: free-form
// content and delivery options that the delivery package reads.
type Channel map[string]any

// Delivery options of a channel activity: how and when its messages go,
// not what they say. Validation checks them; the dispatcher reads them.
const (
	// OptCategory is marketing (the default) or transactional.
	OptCategory = "category"
	// OptRate is messages per second; OptWindow the send window.
	OptRate   = "rate"
	OptWindow = "window"
	// OptTracking is the activity's tracking mode, OptUTM its UTM
	// parameters.
	OptTracking = "tracking"
	OptUTM      = "utm"
)

// ChannelOptions are the delivery options of a channel activity, as the
// settings' schema describes them; checkChannel reads them from the
// settings (see pacing) with the same names.
type ChannelOptions struct {
	Category string  `json:"category,omitempty" jsonschema:"enum=marketing,enum=transactional,default=marketing" jsonschema_description:"marketing (consent and the suppression list apply; an unsubscribe link) or transactional (skips consent, never the suppression list)"`
	Rate     float64 `json:"rate,omitempty" jsonschema:"exclusiveMinimum=0,maximum=100000" jsonschema_description:"messages per second for this activity of a run, per Fanfare node"`
	Window   *Window `json:"window,omitempty" jsonschema_description:"the hours of the day messages may leave, in a time zone or each recipient's"`
	Tracking string  `json:"tracking,omitempty" jsonschema:"enum=off,enum=anonymous,enum=identified" jsonschema_description:"opens and clicks: off, anonymous (counted, naming no message) or identified (each names its message); default: the policy's, else identified for marketing and off for transactional"`
	UTM      *UTM    `json:"utm,omitempty" jsonschema_description:"UTM parameters added to every tracked link that lacks them"`
}

// UTM are the UTM parameters tracked links get (utm_source…).
type UTM struct {
	Source   string `json:"source,omitempty"`
	Medium   string `json:"medium,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	Content  string `json:"content,omitempty"`
	Term     string `json:"term,omitempty"`
}

// TrackingModes are the values of tracking: off, anonymous, identified.
var TrackingModes = []string{"off", "anonymous", "identified"}

// Tracking returns a channel activity's tracking mode: its own, else the
// policy's, else identified for marketing and off for transactional.
func Tracking(a *Activity, p Policy) string {
	if m, ok := a.Settings[OptTracking].(string); ok && m != "" {
		return m
	}
	if p.Tracking != "" {
		return p.Tracking
	}
	if Transactional(a) {
		return "off"
	}
	return "identified"
}

// UTMOf returns a channel activity's UTM parameters by name (source…).
func UTMOf(a *Activity) map[string]string {
	m, _ := a.Settings[OptUTM].(map[string]any)
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok && s != "" {
			out[k] = s
		}
	}
	return out
}

// Window is a channel activity's send window.
type Window struct {
	From              string `json:"from" jsonschema:"pattern=^[0-2][0-9]:[0-5][0-9]$" jsonschema_description:"HH:MM"`
	To                string `json:"to" jsonschema:"pattern=^[0-2][0-9]:[0-5][0-9]$" jsonschema_description:"HH:MM"`
	TimeZone          string `json:"timezone,omitempty" jsonschema_description:"an IANA time zone (default UTC)"`
	TimeZoneAttribute string `json:"timezone_attribute,omitempty" jsonschema_description:"an attribute of the recipient holding an IANA time zone (instead of timezone)"`
}

// Categories of a channel activity's messages: transactional ones skip
// marketing consent (never the suppression list) and carry no
// unsubscribe link.
const (
	CategoryMarketing     = "marketing"
	CategoryTransactional = "transactional"
)

// ChannelContent returns a channel activity's content: its settings
// without the delivery options.
func ChannelContent(a *Activity) map[string]any {
	out := make(map[string]any, len(a.Settings))
	for k, v := range a.Settings {
		switch k {
		case OptCategory, OptRate, OptWindow, OptTracking, OptUTM:
		default:
			out[k] = v
		}
	}
	return out
}

// Transactional tells whether a channel activity sends transactional
// messages.
func Transactional(a *Activity) bool {
	c, _ := a.Settings[OptCategory].(string)
	return c == CategoryTransactional
}

// CheckFilePath checks a load_file path: relative to the server's files
// directory and staying in it (no leading /, no .. component, no NUL), so
// a campaign cannot name any other file of the server. Symbolic links are
// refused when the file is opened.
func CheckFilePath(path string) error {
	switch {
	case strings.TrimSpace(path) == "":
		return errors.New("give the path of the file to load, relative to the server's files directory")
	case strings.ContainsRune(path, 0):
		return errors.New("the path contains a NUL byte")
	case !filepath.IsLocal(filepath.FromSlash(path)) || strings.HasPrefix(path, "/") || strings.Contains(path, `\`):
		return fmt.Errorf("path %q: give a path inside the server's files directory, relative to it (no leading /, no ..)", path)
	}
	for _, part := range strings.Split(path, "/") {
		if part == ".." {
			return fmt.Errorf("path %q: give a path inside the server's files directory, relative to it (no leading /, no ..)", path)
		}
	}
	return nil
}

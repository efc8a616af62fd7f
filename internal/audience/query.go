package audience

import "time"

// Node is one node of a query tree. Exactly one form is set:
//   - And / Or: all / any of the children (an empty And matches everything);
//   - Not: the negation of a child;
//   - Attr + Op (+ Value): a condition on an attribute path;
//   - Link (+ Where, + Count or Aggregate): a condition on related rows;
//   - Audience: membership of a saved audience.
type Node struct {
	And []*Node `json:"and,omitempty"`
	Or  []*Node `json:"or,omitempty"`
	Not *Node   `json:"not,omitempty"`

	Attr            string `json:"attr,omitempty"`
	Op              string `json:"op,omitempty"`
	Value           any    `json:"value,omitempty"`
	CaseInsensitive bool   `json:"case_insensitive,omitempty"`

	Link      string     `json:"link,omitempty"`
	Where     *Node      `json:"where,omitempty"`
	Count     *Compare   `json:"count,omitempty"`
	Aggregate *Aggregate `json:"aggregate,omitempty"`

	Audience string `json:"audience,omitempty"`
}

// Compare compares a number (a count) with a value.
type Compare struct {
	Op    string `json:"op"`
	Value any    `json:"value"`
}

// Aggregate compares an aggregate of the related rows' attribute with a
// value.
type Aggregate struct {
	Fn    string `json:"fn"`
	Attr  string `json:"attr"`
	Op    string `json:"op"`
	Value any    `json:"value"`
}

// Param is a value placeholder, {"param": "name"} in JSON and $name in text.
type Param struct {
	Param string `json:"param"`
}

// Operators of attribute conditions.
const (
	OpEq                = "="
	OpNe                = "!="
	OpLt                = "<"
	OpLe                = "<="
	OpGt                = ">"
	OpGe                = ">="
	OpIn                = "in"
	OpNotIn             = "not_in"
	OpBetween           = "between"
	OpContains          = "contains"
	OpStartsWith        = "starts_with"
	OpEndsWith          = "ends_with"
	OpIsNull            = "is_null"
	OpIsNotNull         = "is_not_null"
	OpIsEmpty           = "is_empty"
	OpIsNotEmpty        = "is_not_empty"
	OpBefore            = "before"
	OpAfter             = "after"
	OpWithinLast        = "within_last"
	OpWithinNext        = "within_next"
	OpDayOfWeek         = "day_of_week"
	OpAnniversaryWithin = "anniversary_within"
)

// Aggregate functions over related rows.
const (
	FnCount = "count"
	FnSum   = "sum"
	FnAvg   = "avg"
	FnMin   = "min"
	FnMax   = "max"
)

// Limits on a query.
const (
	MaxDepth    = 32
	MaxNodes    = 2000
	MaxInValues = 10000
)

// Query is a tree over a targeting dimension with what it needs to run.
type Query struct {
	// Dimension is the entity whose rows the query selects.
	Dimension string `json:"dimension"`
	Where     *Node  `json:"where"`
	// Params fill {"param": …} placeholders.
	Params map[string]any `json:"params,omitempty"`
	// Now is the instant relative conditions are measured from (default:
	// the time the query runs); TimeZone the zone of "today" (default UTC).
	Now      time.Time `json:"now,omitzero"`
	TimeZone string    `json:"timezone,omitempty"`
}

package audience

import (
	"strings"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// operator is one entry of the operator table: everything the package
// knows about a condition operator. Validation, the SQL compiler, the
// reference evaluator and the text printer all read this table, so adding an
// operator means adding one entry (and, for a new kind of value, a case in
// the validator's value check and the printer's value context).
type operator struct {
	name string
	// text is the operator as the text form writes it.
	text string
	// types are the attribute types Validate accepts, as in the operator
	// table of docs/audiences.md. The compiler and the evaluator check only
	// what they need to compute a correct answer, which may be wider.
	types []datamodel.Type
	// value is the kind of value the operator takes.
	value valueKind
	// caseInsensitive reports whether the operator takes case_insensitive.
	caseInsensitive bool
	// compile compiles "expr op raw" to SQL through the dialect.
	compile func(c *Compiled, expr string, a *datamodel.Attribute, op string, raw any, ci bool) (string, error)
	// eval computes "v op raw" for the reference evaluator.
	eval func(ev *evaluator, v any, a *datamodel.Attribute, op string, raw any, ci bool) (truth, error)
}

// valueKind is the shape of an operator's value.
type valueKind int

const (
	valueNone     valueKind = iota + 1 // no value: is_null
	valueOne                           // one value of the attribute's type: =
	valueList                          // a list of values of the attribute's type: in
	valuePair                          // two values [low, high]: between
	valueString                        // one string, whatever the type: contains
	valueDuration                      // a duration such as "90d": within_last
	valueWeekdays                      // a list of day names: day_of_week
	valueDays                          // a number of days, 0–366: anniversary_within
)

// Attribute types operators take, as in docs/audiences.md.
var (
	typesAll      = datamodel.Types
	typesNotJSON  = []datamodel.Type{datamodel.TypeString, datamodel.TypeInteger, datamodel.TypeDecimal, datamodel.TypeBoolean, datamodel.TypeDate, datamodel.TypeTimestamp, datamodel.TypeEnum}
	typesOrdered  = []datamodel.Type{datamodel.TypeInteger, datamodel.TypeDecimal, datamodel.TypeDate, datamodel.TypeTimestamp, datamodel.TypeString}
	typesIn       = []datamodel.Type{datamodel.TypeString, datamodel.TypeEnum, datamodel.TypeInteger, datamodel.TypeDecimal, datamodel.TypeDate}
	typesBetween  = []datamodel.Type{datamodel.TypeInteger, datamodel.TypeDecimal, datamodel.TypeDate, datamodel.TypeTimestamp}
	typesText     = []datamodel.Type{datamodel.TypeString, datamodel.TypeEnum}
	typesTemporal = []datamodel.Type{datamodel.TypeDate, datamodel.TypeTimestamp}
)

// operatorTable lists every operator, in the order of docs/audiences.md.
var operatorTable = []operator{
	{name: OpEq, text: "=", types: typesNotJSON, value: valueOne, compile: (*Compiled).compareCond, eval: (*evaluator).compareCond},
	{name: OpNe, text: "!=", types: typesNotJSON, value: valueOne, compile: (*Compiled).compareCond, eval: (*evaluator).compareCond},
	{name: OpLt, text: "<", types: typesOrdered, value: valueOne, compile: (*Compiled).compareCond, eval: (*evaluator).compareCond},
	{name: OpLe, text: "<=", types: typesOrdered, value: valueOne, compile: (*Compiled).compareCond, eval: (*evaluator).compareCond},
	{name: OpGt, text: ">", types: typesOrdered, value: valueOne, compile: (*Compiled).compareCond, eval: (*evaluator).compareCond},
	{name: OpGe, text: ">=", types: typesOrdered, value: valueOne, compile: (*Compiled).compareCond, eval: (*evaluator).compareCond},
	{name: OpIn, text: "in", types: typesIn, value: valueList, compile: (*Compiled).inCond, eval: (*evaluator).inCond},
	{name: OpNotIn, text: "not in", types: typesIn, value: valueList, compile: (*Compiled).inCond, eval: (*evaluator).inCond},
	{name: OpBetween, text: "between", types: typesBetween, value: valuePair, compile: (*Compiled).betweenCond, eval: (*evaluator).betweenCond},
	{name: OpContains, text: "contains", types: typesText, value: valueString, caseInsensitive: true, compile: (*Compiled).textCond, eval: (*evaluator).textCond},
	{name: OpStartsWith, text: "starts with", types: typesText, value: valueString, caseInsensitive: true, compile: (*Compiled).textCond, eval: (*evaluator).textCond},
	{name: OpEndsWith, text: "ends with", types: typesText, value: valueString, caseInsensitive: true, compile: (*Compiled).textCond, eval: (*evaluator).textCond},
	{name: OpIsNull, text: "is null", types: typesAll, value: valueNone, compile: (*Compiled).nullCond, eval: (*evaluator).nullCond},
	{name: OpIsNotNull, text: "is not null", types: typesAll, value: valueNone, compile: (*Compiled).nullCond, eval: (*evaluator).nullCond},
	{name: OpIsEmpty, text: "is empty", types: []datamodel.Type{datamodel.TypeString}, value: valueNone, compile: (*Compiled).emptyCond, eval: (*evaluator).emptyCond},
	{name: OpIsNotEmpty, text: "is not empty", types: []datamodel.Type{datamodel.TypeString}, value: valueNone, compile: (*Compiled).emptyCond, eval: (*evaluator).emptyCond},
	{name: OpBefore, text: "before", types: typesTemporal, value: valueOne, compile: (*Compiled).compareCond, eval: (*evaluator).compareCond},
	{name: OpAfter, text: "after", types: typesTemporal, value: valueOne, compile: (*Compiled).compareCond, eval: (*evaluator).compareCond},
	{name: OpWithinLast, text: "within last", types: typesTemporal, value: valueDuration, compile: (*Compiled).withinCond, eval: (*evaluator).withinCond},
	{name: OpWithinNext, text: "within next", types: typesTemporal, value: valueDuration, compile: (*Compiled).withinCond, eval: (*evaluator).withinCond},
	{name: OpDayOfWeek, text: "day of week in", types: typesTemporal, value: valueWeekdays, compile: (*Compiled).dayOfWeekCond, eval: (*evaluator).dayOfWeekCond},
	{name: OpAnniversaryWithin, text: "anniversary within", types: []datamodel.Type{datamodel.TypeDate}, value: valueDays, compile: (*Compiled).anniversaryCond, eval: (*evaluator).anniversaryCond},
}

// operators indexes operatorTable by name.
var operators = indexOperators(operatorTable)

func indexOperators(table []operator) map[string]*operator {
	out := make(map[string]*operator, len(table))
	for i := range table {
		out[table[i].name] = &table[i]
	}
	return out
}

// caseInsensitiveOps names the operators that take case_insensitive, as
// "a, b and c".
func caseInsensitiveOps() string {
	var names []string
	for _, o := range operatorTable {
		if o.caseInsensitive {
			names = append(names, o.name)
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func typeList(ts []datamodel.Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

func takesType(ts []datamodel.Type, t datamodel.Type) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

package message

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/osteele/liquid/values"
)

// Budget bounds what rendering one message may cost, all its fields
// together: a template runs once per recipient inside the dispatcher, and
// per-value limits alone let a template hold many values at their limit
// (300 assigns of a long date took a server to 2.9 GB and 62 s).
type Budget struct {
	// Bytes is how many bytes the render may make: what its fields
	// output, and every value a filter or capture makes (an assign holds
	// a value a filter made, counted there).
	Bytes int64
	// Time is how long the render may take, wall clock.
	Time time.Duration
}

// The default render budget: a 15 KB email with loops over linked rows
// makes well under 1 MiB and renders in about 50 µs.
const (
	DefaultBudgetBytes = 8 << 20
	DefaultBudgetTime  = time.Second
)

// orDefault fills a budget's unset limits with the defaults.
func (b Budget) orDefault() Budget {
	if b.Bytes <= 0 {
		b.Bytes = DefaultBudgetBytes
	}
	if b.Time <= 0 {
		b.Time = DefaultBudgetTime
	}
	return b
}

// limitError is a render stopped by a limit. The library panics when the
// last write of a render fails, so renderSafely recognises these.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

// renderState is what is left of one message's budget while it renders.
// A render runs on one goroutine, so it needs no lock.
type renderState struct {
	limit    Budget
	left     int64
	deadline time.Time
	ops      int
	err      error // the first limit reached: every later charge fails too
}

func newRenderState(b Budget) *renderState {
	b = b.orDefault()
	return &renderState{limit: b, left: b.Bytes, deadline: time.Now().Add(b.Time)}
}

// clockEvery is how many steps of a render pass between looks at the
// clock: a step (a filter on a value at its limit, a write) takes at most
// a few milliseconds, and reading the clock at each would cost a tenth of
// a small template's render.
const clockEvery = 16

// tick counts one step of the render (a filter, a write, a loop
// iteration, an assign) and fails once the time is spent.
func (s *renderState) tick() error {
	if s == nil {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	if s.ops++; s.ops%clockEvery == 0 && time.Now().After(s.deadline) {
		s.err = &limitError{fmt.Sprintf("the message takes more than %v to render (the render budget)", s.limit.Time)}
	}
	return s.err
}

// charge spends n bytes, and a step.
func (s *renderState) charge(n int) error {
	if s == nil {
		return nil
	}
	if err := s.tick(); err != nil {
		return err
	}
	if s.left -= int64(n); s.left < 0 {
		s.err = &limitError{fmt.Sprintf("the message renders more than %d bytes in all (the render budget: its fields' text and the values filters and captures make)", s.limit.Bytes)}
	}
	return s.err
}

// sizeOf is what a filter's result costs: a string's bytes, a list's
// headers (its items are shared with its input or counted where made).
func sizeOf(v reflect.Value) int {
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.String:
		return v.Len()
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		return v.Len()
	case v.Kind() == reflect.Slice:
		return 16 * v.Len()
	}
	return 8
}

// budgeted wraps a filter (any signature the library accepts) so that it
// spends the render's budget: a step before it runs, its result's size
// after, and a result over the per-value limits is an error. The common
// signatures are wrapped without reflection, which costs a microsecond
// a call.
func budgeted(fn any, in *instance) any {
	switch f := fn.(type) {
	case func(string) string:
		return func(a string) (string, error) {
			if err := in.state.tick(); err != nil {
				return "", err
			}
			return in.checked(f(a))
		}
	case func(string, string) string:
		return func(a, b string) (string, error) {
			if err := in.state.tick(); err != nil {
				return "", err
			}
			return in.checked(f(a, b))
		}
	case func(any) string:
		return func(a any) (string, error) {
			if err := in.state.tick(); err != nil {
				return "", err
			}
			return in.checked(f(a))
		}
	case func(any, any) any:
		return func(a, b any) (any, error) {
			if err := in.state.tick(); err != nil {
				return nil, err
			}
			return in.checkedAny(f(a, b), nil)
		}
	case func(any, any) (any, error):
		return func(a, b any) (any, error) {
			if err := in.state.tick(); err != nil {
				return nil, err
			}
			return in.checkedAny(f(a, b))
		}
	}
	return budgetedReflect(fn, in)
}

// checked checks a filter's string result and spends its size.
func (in *instance) checked(s string) (string, error) {
	if len(s) > maxRenderBytes {
		return "", errRenderTooLong
	}
	return s, in.state.charge(len(s))
}

// checkedAny checks a filter's result of any type and spends its size.
func (in *instance) checkedAny(v any, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	rv := reflect.ValueOf(v)
	if err := tooBig(rv); err != nil {
		return nil, err
	}
	return v, in.state.charge(sizeOf(rv))
}

// budgetedReflect is budgeted for any signature. A list parameter is
// taken as it comes and converted here: the library would turn a range
// into a list before the filter runs, and (1..100000000) | first took a
// minute and 6.8 GB.
func budgetedReflect(fn any, in *instance) any {
	v := reflect.ValueOf(fn)
	t := v.Type()
	params := make([]reflect.Type, t.NumIn())
	var lists []int
	for i := range params {
		params[i] = t.In(i)
		if isList(params[i]) && !(t.IsVariadic() && i == len(params)-1) {
			params[i], lists = anyType, append(lists, i)
		}
	}
	ft := reflect.FuncOf(params, []reflect.Type{t.Out(0), errorType}, t.IsVariadic())
	zero := reflect.Zero(t.Out(0))
	return reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
		fail := func(err error) []reflect.Value {
			return []reflect.Value{zero, reflect.ValueOf(&err).Elem()}
		}
		if err := in.state.tick(); err != nil {
			return fail(err)
		}
		for _, i := range lists {
			list, err := in.toList(args[i].Interface(), t.In(i))
			if err != nil {
				return fail(err)
			}
			args[i] = list
		}
		var out []reflect.Value
		if t.IsVariadic() {
			out = v.CallSlice(args)
		} else {
			out = v.Call(args)
		}
		if len(out) == 2 && !out[1].IsNil() {
			return []reflect.Value{out[0], out[1]}
		}
		if err := tooBig(out[0]); err != nil {
			return fail(err)
		}
		if err := in.state.charge(sizeOf(out[0])); err != nil {
			return fail(err)
		}
		return []reflect.Value{out[0], reflect.Zero(errorType)}
	}).Interface()
}

var (
	errorType = reflect.TypeFor[error]()
	anyType   = reflect.TypeFor[any]()
)

// isList reports whether a filter's parameter is a list (not bytes).
func isList(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8
}

// toList converts a filter's argument to its list type, as the library
// would, refusing a range too long to make a list of.
func (in *instance) toList(arg any, typ reflect.Type) (reflect.Value, error) {
	if arg == nil {
		return reflect.Zero(typ), nil
	}
	if r, ok := arg.(values.Range); ok {
		if r.Len() > maxListItems {
			return reflect.Value{}, errListTooLong
		}
		if err := in.state.charge(16 * r.Len()); err != nil {
			return reflect.Value{}, err
		}
	}
	list, err := values.Convert(arg, typ)
	if err != nil {
		return reflect.Value{}, err
	}
	return reflect.ValueOf(list), nil
}

// tooBig refuses a string over maxRenderBytes or a list over maxListItems.
func tooBig(v reflect.Value) error {
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	switch {
	case (v.Kind() == reflect.String || v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8) && v.Len() > maxRenderBytes:
		return errRenderTooLong
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() != reflect.Uint8 && v.Len() > maxListItems:
		return errListTooLong
	}
	return nil
}

// limitedReplace is replace, refused before the work when its result
// would be too long.
func limitedReplace(s, old, repl string) (string, error) {
	if len(repl) > len(old) && len(s)+strings.Count(s, old)*(len(repl)-len(old)) > maxRenderBytes {
		return "", errRenderTooLong
	}
	return strings.ReplaceAll(s, old, repl), nil
}

// limitedJoin is join, refused before the work when its result would be
// too long.
func limitedJoin(join func([]any, func(string) string) any) func([]any, func(string) string) (any, error) {
	return func(a []any, sep func(string) string) (any, error) {
		n := len(a) * len(sep(" "))
		for _, v := range a {
			if s, ok := v.(string); ok {
				n += len(s)
			} else {
				n += 24 // a number or a date
			}
			if n > maxRenderBytes {
				return nil, errRenderTooLong
			}
		}
		return join(a, sep), nil
	}
}

package message

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/osteele/liquid/expressions"
	"github.com/osteele/liquid/filters"
	"github.com/osteele/liquid/parser"
	"github.com/osteele/liquid/render"
	"github.com/osteele/liquid/tags"
)

// A template runs once per recipient inside the dispatcher, so what one
// template may cost is bounded: a loop over (1..100000000) would hold a
// send for half a minute per message, and a value doubled thirty times
// would take the process down with every send in it. Past a limit the
// render fails with its reason, which fails that message (or the
// campaign's validation, which renders a sample profile first).
//
// Each value is bounded, and so is the whole message: its render has a
// budget of bytes and time (budget.go) that every field, filter and tag
// spends, so many values each within its limit cannot add up.
//
// The Liquid library has no such limits and no way to interrupt a render,
// so they are put in its path:
//   - loops: every for and tablerow body starts with a tag of ours
//     (inserted when the template is parsed) that counts iterations
//     against the field's loops and the message's budget;
//   - output: a field renders into a writer that refuses more bytes;
//   - values: every filter checks its result and spends the budget
//     (replace and join check before doing the work, their result growing
//     with the product of their inputs); captures are renamed to a
//     capture of ours, which renders into the same kind of writer as a
//     field; assign is ours too, a step of the budget.
//
// The include tag, which reads a file of the server, is refused.
const (
	maxLoopIterations = 10_000  // per field rendered, over all its loops
	maxRenderBytes    = 1 << 20 // a field's rendered text, a value a filter or capture makes
	maxListItems      = 1 << 16 // a list a filter makes
)

var (
	errRenderTooLong error = &limitError{fmt.Sprintf("renders more than %d bytes", maxRenderBytes)}
	errListTooLong   error = &limitError{fmt.Sprintf("makes a list of more than %d items", maxListItems)}
)

// The tags put into templates (see guardSource), and the binding holding
// a render's budget: a name no template can write.
const (
	loopTag    = "fanfare_loop"
	captureTag = "fanfare_capture"
	budgetKey  = "fanfare budget"
)

// renderBudget is what is left to one field's render: its loop
// iterations, and the message's budget (budget.go), which our tags spend.
type renderBudget struct {
	loops int
	state *renderState
}

// stateOf returns the message budget a render spends (nil for a tag typed
// into a template rendered without one).
func stateOf(ctx render.Context) *renderState {
	if b, _ := ctx.Get(budgetKey).(*renderBudget); b != nil {
		return b.state
	}
	return nil
}

// liquidEngine is a Liquid configuration: the library's standard tags
// and filters, within the limits above, and Fanfare's filters.
//
// A filter sees only its arguments, so the filters that spend a render's
// budget are bound to it through their configuration: a render takes an
// instance of the configuration that no other render uses meanwhile
// (the library reads filters from the configuration given to each render,
// and tags by name).
type liquidEngine struct {
	strict bool
	extra  func(add func(name string, fn any)) // Fanfare's filters
	parser *instance

	mu   sync.Mutex
	idle []*instance
}

// instance is one configuration of an engine, with the budget of the
// render using it.
type instance struct {
	cfg   render.Config
	state *renderState
}

// liquidTemplate is a parsed template, rendered by its engine's instances.
type liquidTemplate struct {
	root render.Node
	eng  *liquidEngine
}

func newLiquidEngine(strict bool, extra func(add func(name string, fn any))) *liquidEngine {
	e := &liquidEngine{strict: strict, extra: extra}
	e.parser = e.newInstance()
	return e
}

// filterAdder adds filters through a function.
type filterAdder func(name string, fn any)

func (f filterAdder) AddFilter(name string, fn any) { f(name, fn) }

func (e *liquidEngine) newInstance() *instance {
	in := &instance{cfg: render.NewConfig()}
	add := func(name string, fn any) {
		switch name {
		case "replace":
			fn = limitedReplace
		case "join":
			join, ok := fn.(func([]any, func(string) string) any)
			if !ok {
				panic(fmt.Sprintf("liquid's join filter is a %T: check newInstance", fn))
			}
			fn = limitedJoin(join)
		}
		in.cfg.AddFilter(name, budgeted(fn, in))
	}
	filters.AddStandardFilters(filterAdder(add))
	if e.extra != nil {
		e.extra(add)
	}
	tags.AddStandardTags(in.cfg)
	in.cfg.StrictVariables = e.strict
	in.cfg.AddTag("include", func(string) (func(io.Writer, render.Context) error, error) {
		return nil, errors.New("the include tag is not supported (a template cannot read files)")
	})
	in.cfg.AddTag("assign", assignTag)
	in.cfg.AddTag(loopTag, func(string) (func(io.Writer, render.Context) error, error) {
		return countLoop, nil
	})
	in.cfg.AddBlock(captureTag).Compiler(func(node render.BlockNode) (func(io.Writer, render.Context) error, error) {
		// Liquid's capture, into a limited writer.
		return func(_ io.Writer, ctx render.Context) error {
			var buf bytes.Buffer
			if err := renderChildren(ctx, &buf); err != nil {
				return fmt.Errorf("capture %s: %w", node.Args, err)
			}
			ctx.Set(node.Args, buf.String())
			return nil
		}, nil
	})
	return in
}

// acquire returns an instance no other render uses.
func (e *liquidEngine) acquire() *instance {
	e.mu.Lock()
	if n := len(e.idle); n > 0 {
		in := e.idle[n-1]
		e.idle = e.idle[:n-1]
		e.mu.Unlock()
		return in
	}
	e.mu.Unlock()
	return e.newInstance()
}

func (e *liquidEngine) release(in *instance) {
	in.state = nil
	e.mu.Lock()
	e.idle = append(e.idle, in)
	e.mu.Unlock()
}

// assignTag is Liquid's assign, as a step of the render's budget (the
// value it holds was counted by the filter that made it).
func assignTag(source string) (func(io.Writer, render.Context) error, error) {
	stmt, err := expressions.ParseStatement(expressions.AssignStatementSelector, source)
	if err != nil {
		return nil, err
	}
	return func(_ io.Writer, ctx render.Context) error {
		if err := stateOf(ctx).tick(); err != nil {
			return err
		}
		value, err := ctx.Evaluate(stmt.Assignment.ValueFn)
		if err != nil {
			return err
		}
		ctx.Set(stmt.Assignment.Variable, value)
		return nil
	}, nil
}

// renderChildren renders a block's children into a limited writer (the
// library panics when the last write fails).
func renderChildren(ctx render.Context, buf *bytes.Buffer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			var le *limitError
			e, ok := r.(error)
			if !ok || !errors.As(e, &le) {
				panic(r)
			}
			err = e
		}
	}()
	if rerr := ctx.RenderChildren(limitedWriter{buf, stateOf(ctx)}); rerr != nil {
		return rerr
	}
	return nil
}

// countLoop spends one iteration of the field's loops, and a step of the
// message's budget. It writes nothing, so whitespace control around it is
// unchanged.
func countLoop(_ io.Writer, ctx render.Context) error {
	b, _ := ctx.Get(budgetKey).(*renderBudget)
	if b == nil {
		return nil // the tag typed into a template rendered without a budget
	}
	if b.loops--; b.loops < 0 {
		return fmt.Errorf("more than %d loop iterations", maxLoopIterations)
	}
	return b.state.tick()
}

// parse parses a template, with our tags inserted.
func (e *liquidEngine) parse(src string) (*liquidTemplate, parser.Error) {
	if line, msg := unterminated(src); line > 0 {
		return nil, scanError{line, msg}
	}
	guarded, _ := guardSource(src)
	root, err := e.parser.cfg.Compile(guarded, parser.SourceLoc{LineNo: 1})
	if err != nil {
		return nil, err
	}
	return &liquidTemplate{root: root, eng: e}, nil
}

// render renders a template into buf, spending st. The field's budget is
// put into the bindings, which are the recipient's own (Liquid's assign
// writes there too).
func (t *liquidTemplate) render(buf *bytes.Buffer, b map[string]any, st *renderState) render.Error {
	if b == nil {
		b = map[string]any{}
	}
	b[budgetKey] = &renderBudget{loops: maxLoopIterations, state: st}
	defer delete(b, budgetKey)
	in := t.eng.acquire()
	in.state = st
	defer t.eng.release(in)
	return render.Render(t.root, limitedWriter{buf, st}, b, in.cfg)
}

// limitedWriter refuses to grow a field's text past maxRenderBytes, and
// spends the message's budget.
type limitedWriter struct {
	buf   *bytes.Buffer
	state *renderState
}

func (w limitedWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > maxRenderBytes {
		return 0, errRenderTooLong
	}
	if err := w.state.charge(len(p)); err != nil {
		return 0, err
	}
	return w.buf.Write(p)
}

// guardSource puts our tags into a template: one at the start of every
// loop body, and our capture for Liquid's. Tokens inside raw and comment
// blocks are text. It reports whether it changed anything.
func guardSource(src string) (string, bool) {
	literals, tokens := scanLiquid(src)
	var (
		b       strings.Builder
		changed bool
		inside  string // the raw or comment block we are in
	)
	b.Grow(len(src))
	for i, t := range tokens {
		b.WriteString(literals[i])
		switch {
		case !t.tag:
		case inside != "":
			if t.name == "end"+inside {
				inside = ""
			}
		case t.name == "raw" || t.name == "comment":
			inside = t.name
		case t.name == "for" || t.name == "tablerow":
			b.WriteString(t.src)
			b.WriteString("{% " + loopTag + " %}")
			changed = true
			continue
		case t.name == "capture" || t.name == "endcapture":
			// The name comes first in the token: "{%- capture x -%}".
			at := strings.Index(t.src, t.name)
			b.WriteString(t.src[:at] + strings.Replace(t.name, "capture", captureTag, 1) + t.src[at+len(t.name):])
			changed = true
			continue
		}
		b.WriteString(t.src)
	}
	b.WriteString(literals[len(tokens)])
	return b.String(), changed
}

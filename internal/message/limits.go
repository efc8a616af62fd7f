package message

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

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
// The Liquid library has no such limits and no way to interrupt a render,
// so they are put in its path:
//   - loops: every for and tablerow body starts with a tag of ours
//     (inserted when the template is parsed) that counts iterations
//     against the render's budget;
//   - output: a field renders into a writer that refuses more bytes;
//   - values: the filters that can make a string or list larger than
//     their input check their result (replace and join before doing the
//     work, their result growing with the product of their inputs), and
//     captures are renamed to a capture of ours, which renders into the
//     same kind of writer as a field.
//
// The include tag, which reads a file of the server, is refused.
const (
	maxLoopIterations = 10_000  // per field rendered, over all its loops
	maxRenderBytes    = 1 << 20 // a field's rendered text, a value a filter or capture makes
	maxListItems      = 1 << 16 // a list a filter makes
)

var (
	errRenderTooLong = fmt.Errorf("renders more than %d bytes", maxRenderBytes)
	errListTooLong   = fmt.Errorf("makes a list of more than %d items", maxListItems)
)

// The tags put into templates (see guardSource), and the binding holding
// a render's budget: a name no template can write.
const (
	loopTag    = "fanfare_loop"
	captureTag = "fanfare_capture"
	budgetKey  = "fanfare budget"
)

// renderBudget is what is left to one field's render.
type renderBudget struct{ loops int }

// liquidEngine is a Liquid configuration: the library's standard tags
// and filters, within the limits above, and Fanfare's filters.
type liquidEngine struct{ cfg render.Config }

// liquidTemplate is a parsed template; guarded ones hold our tags and
// render with a budget.
type liquidTemplate struct {
	root    render.Node
	cfg     *render.Config
	guarded bool
}

func newLiquidEngine(strict bool) *liquidEngine {
	e := &liquidEngine{cfg: render.NewConfig()}
	filters.AddStandardFilters(limitedFilters{&e.cfg})
	tags.AddStandardTags(e.cfg)
	e.cfg.StrictVariables = strict
	e.cfg.AddTag("include", func(string) (func(io.Writer, render.Context) error, error) {
		return nil, errors.New("the include tag is not supported (a template cannot read files)")
	})
	e.cfg.AddTag(loopTag, func(string) (func(io.Writer, render.Context) error, error) {
		return countLoop, nil
	})
	e.cfg.AddBlock(captureTag).Compiler(func(node render.BlockNode) (func(io.Writer, render.Context) error, error) {
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
	return e
}

// renderChildren renders a block's children into a limited writer (the
// library panics when the last write fails).
func renderChildren(ctx render.Context, buf *bytes.Buffer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(error)
			if !ok || !errors.Is(e, errRenderTooLong) {
				panic(r)
			}
			err = e
		}
	}()
	if rerr := ctx.RenderChildren(limitedWriter{buf}); rerr != nil {
		return rerr
	}
	return nil
}

// countLoop spends one iteration of the render's budget. It writes
// nothing, so whitespace control around it is unchanged.
func countLoop(_ io.Writer, ctx render.Context) error {
	b, _ := ctx.Get(budgetKey).(*renderBudget)
	if b == nil {
		return nil // the tag typed into a template without loops
	}
	if b.loops--; b.loops < 0 {
		return fmt.Errorf("more than %d loop iterations", maxLoopIterations)
	}
	return nil
}

// parse parses a template, with our tags inserted.
func (e *liquidEngine) parse(src string) (*liquidTemplate, parser.Error) {
	guarded, changed := guardSource(src)
	root, err := e.cfg.Compile(guarded, parser.SourceLoc{LineNo: 1})
	if err != nil {
		return nil, err
	}
	return &liquidTemplate{root: root, cfg: &e.cfg, guarded: changed}, nil
}

// render renders a template into buf, within the limits. The budget is
// put into the bindings, which are the recipient's own (Liquid's assign
// writes there too).
func (t *liquidTemplate) render(buf *bytes.Buffer, b map[string]any) render.Error {
	if t.guarded {
		if b == nil {
			b = map[string]any{}
		}
		b[budgetKey] = &renderBudget{loops: maxLoopIterations}
		defer delete(b, budgetKey)
	}
	return render.Render(t.root, limitedWriter{buf}, b, *t.cfg)
}

// limitedWriter refuses to grow a field's text past maxRenderBytes.
type limitedWriter struct{ buf *bytes.Buffer }

func (w limitedWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > maxRenderBytes {
		return 0, errRenderTooLong
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

// limitedFilters adds the library's standard filters with the checks of
// those that grow a value.
type limitedFilters struct{ cfg *render.Config }

// growing are the standard filters whose result may be larger than their
// input (each by a bounded factor: checked after).
var growing = map[string]bool{
	"append": true, "prepend": true, "concat": true, "escape": true, "escape_once": true,
	"newline_to_br": true, "url_encode": true, "json": true, "inspect": true, "split": true,
	"replace_first": true,
}

func (f limitedFilters) AddFilter(name string, fn any) {
	switch {
	case name == "replace":
		fn = limitedReplace
	case name == "join":
		join, ok := fn.(func([]any, func(string) string) any)
		if !ok {
			panic(fmt.Sprintf("liquid's join filter is a %T: check limitedFilters", fn))
		}
		fn = limitedJoin(join)
	case growing[name]:
		fn = checkResult(fn)
	}
	f.cfg.AddFilter(name, fn)
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

var errorType = reflect.TypeFor[error]()

// checkResult wraps a filter (any signature the library accepts) so that
// a result over the limits is an error.
func checkResult(fn any) any {
	v := reflect.ValueOf(fn)
	t := v.Type()
	in := make([]reflect.Type, t.NumIn())
	for i := range in {
		in[i] = t.In(i)
	}
	ft := reflect.FuncOf(in, []reflect.Type{t.Out(0), errorType}, t.IsVariadic())
	return reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
		var out []reflect.Value
		if t.IsVariadic() {
			out = v.CallSlice(args)
		} else {
			out = v.Call(args)
		}
		errv := reflect.Zero(errorType)
		if len(out) == 2 {
			errv = out[1]
		}
		if err := tooBig(out[0]); err != nil {
			errv = reflect.ValueOf(&err).Elem()
		}
		return []reflect.Value{out[0], errv}
	}).Interface()
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

package audience

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// MaxTextLen is the longest query text ParseText reads.
const MaxTextLen = 1 << 20

// maxTextDepth bounds the parser's recursion: generous next to MaxDepth,
// which Validate enforces, but small enough that absurd input cannot
// exhaust the stack.
const maxTextDepth = MaxDepth * 4

// ParseText reads a query tree in the text syntax of docs/audiences.md,
// such as `country in ("FR", "BE") and not exists(purchases where
// purchased_at within last 30d)`. Errors are *SyntaxError. ParseText does
// not check the tree against a data model (see Validate).
func ParseText(s string) (*Node, error) {
	if len(s) > MaxTextLen {
		return nil, &SyntaxError{Msg: fmt.Sprintf("the query text is longer than %d bytes", MaxTextLen)}
	}
	toks, err := lexText(s)
	if err != nil {
		return nil, err
	}
	p := &textParser{src: s, toks: toks}
	if p.peek().kind == tEOF {
		return nil, p.errAt(p.peek(), "the query is empty")
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, fmt.Sprintf("unexpected %s after a complete condition (missing \"and\" or \"or\"?)", t.describe()))
	}
	return n, nil
}

// Value contexts: where bare words are values.
type valueCtx int

const (
	ctxPlain       valueCtx = iota
	ctxDuration             // within last 90d
	ctxWeekday              // day of week in (sat, sun)
	ctxAnniversary          // anniversary within 7d
)

type textParser struct {
	src   string
	toks  []textToken
	i     int
	depth int
}

func (p *textParser) peek() textToken { return p.toks[p.i] }

func (p *textParser) peekAt(k int) textToken {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *textParser) next() textToken {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// prev describes the token before the current one, for "after …" in
// messages.
func (p *textParser) prev() string {
	if p.i == 0 {
		return "the start"
	}
	return strconv.Quote(shortText(p.toks[p.i-1].src))
}

func (p *textParser) errAt(t textToken, msg string) error {
	return newSyntaxError(p.src, t.pos, msg)
}

func (p *textParser) isKw(t textToken, kw string) bool {
	return t.kind == tIdent && strings.EqualFold(t.val, kw)
}

func (p *textParser) isPunct(t textToken, s string) bool { return t.kind == tPunct && t.val == s }

func (p *textParser) expectKw(kw string) error {
	if t := p.peek(); !p.isKw(t, kw) {
		return p.errAt(t, fmt.Sprintf("expected %q after %s, found %s", kw, p.prev(), t.describe()))
	}
	p.next()
	return nil
}

// expectClose consumes the ")" that closes open; context says what it
// closes, as in `expected ")" to close the "(" at line 1, column 5`.
func (p *textParser) expectClose(open textToken, context string) error {
	if t := p.peek(); !p.isPunct(t, ")") {
		// Locating open costs a scan of the text: only on failure.
		return p.errAt(t, fmt.Sprintf("expected \")\" %s at %s, found %s", context, p.where(open), t.describe()))
	}
	p.next()
	return nil
}

func (p *textParser) enter() error {
	p.depth++
	if p.depth > maxTextDepth {
		return p.errAt(p.peek(), fmt.Sprintf("the query nests deeper than %d levels", maxTextDepth))
	}
	return nil
}

func (p *textParser) leave() { p.depth-- }

// or = and { "or" and }.
func (p *textParser) or() (*Node, error) {
	n, err := p.and()
	if err != nil || !p.isKw(p.peek(), "or") {
		return n, err
	}
	list := []*Node{n}
	for p.isKw(p.peek(), "or") {
		p.next()
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		list = append(list, n)
	}
	return &Node{Or: list}, nil
}

// and = unary { "and" unary }.
func (p *textParser) and() (*Node, error) {
	n, err := p.unary()
	if err != nil || !p.isKw(p.peek(), "and") {
		return n, err
	}
	list := []*Node{n}
	for p.isKw(p.peek(), "and") {
		p.next()
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		list = append(list, n)
	}
	return &Node{And: list}, nil
}

// unary = "not" unary | primary.
func (p *textParser) unary() (*Node, error) {
	if !p.isKw(p.peek(), "not") {
		return p.primary()
	}
	p.next()
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	n, err := p.unary()
	if err != nil {
		return nil, err
	}
	return &Node{Not: n}, nil
}

func (p *textParser) primary() (*Node, error) {
	t := p.peek()
	call := p.isPunct(p.peekAt(1), "(")
	switch {
	case p.isPunct(t, "("):
		p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if err := p.expectClose(t, "to close the \"(\""); err != nil {
			return nil, err
		}
		return n, nil
	case p.isKw(t, "all"):
		p.next()
		if !call {
			return &Node{And: []*Node{}}, nil
		}
		list, err := p.args("all")
		return &Node{And: list}, err
	case p.isKw(t, "any") && call:
		p.next()
		list, err := p.args("any")
		return &Node{Or: list}, err
	case (p.isKw(t, "exists") || p.isKw(t, FnCount)) && call:
		return p.linkCall()
	case (p.isKw(t, FnSum) || p.isKw(t, FnAvg) || p.isKw(t, FnMin) || p.isKw(t, FnMax)) && call:
		return p.aggregateCall()
	case p.isKw(t, "in"):
		p.next()
		if err := p.expectKw("audience"); err != nil {
			return nil, err
		}
		s := p.next()
		if s.kind != tString {
			return nil, p.errAt(s, fmt.Sprintf("expected the audience's name in double quotes after \"audience\", found %s", s.describe()))
		}
		if s.val == "" {
			return nil, p.errAt(s, "the audience name is empty")
		}
		return &Node{Audience: s.val}, nil
	case t.kind == tQuoted || t.kind == tIdent && !isHardKeyword(t.val):
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		return p.condition(strings.Join(path, "."))
	}
	return nil, p.errAt(t, fmt.Sprintf("expected a condition after %s, found %s", p.prev(), t.describe()))
}

// where returns "line L, column C" of a token.
func (p *textParser) where(t textToken) string {
	e := newSyntaxError(p.src, t.pos, "")
	return fmt.Sprintf("line %d, column %d", e.Line, e.Col)
}

// args reads "(" [ or { "," or } ] ")" after all or any.
func (p *textParser) args(fn string) ([]*Node, error) {
	open := p.next()
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	list := []*Node{}
	if p.isPunct(p.peek(), ")") {
		p.next()
		return list, nil
	}
	for {
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		list = append(list, n)
		if !p.isPunct(p.peek(), ",") {
			break
		}
		p.next()
	}
	if err := p.expectClose(open, "or \",\" in "+fn+"("); err != nil {
		return nil, err
	}
	return list, nil
}

// path = name { "." name }, a name being an identifier or `quoted`.
func (p *textParser) path() ([]string, error) {
	var segs []string
	for {
		t := p.next()
		switch {
		case t.kind == tQuoted && t.val == "":
			return nil, p.errAt(t, "empty name in backticks")
		case t.kind == tQuoted && strings.Contains(t.val, "."):
			// Dots separate the names of a path, so a name cannot hold one.
			return nil, p.errAt(t, "a name in backticks cannot contain \".\"")
		case t.kind == tQuoted, t.kind == tIdent && (len(segs) > 0 || !isHardKeyword(t.val)):
			segs = append(segs, t.val)
		default:
			return nil, p.errAt(t, fmt.Sprintf("expected a name after %s, found %s", p.prevOf(t), t.describe()))
		}
		if !p.isPunct(p.peek(), ".") {
			return segs, nil
		}
		p.next()
	}
}

// prevOf is prev for a token already consumed.
func (p *textParser) prevOf(t textToken) string {
	for i := p.i - 1; i > 0; i-- {
		if p.toks[i].pos == t.pos {
			return strconv.Quote(shortText(p.toks[i-1].src))
		}
	}
	return "the start"
}

// linkCall reads exists(link [where …]) or count(link [where …]) op value.
func (p *textParser) linkCall() (*Node, error) {
	fn := p.next()
	n := &Node{}
	if err := p.callBody(fn, n, false); err != nil {
		return nil, err
	}
	if !p.isKw(fn, FnCount) {
		return n, nil
	}
	op, v, err := p.comparison("count(…)")
	if err != nil {
		return nil, err
	}
	n.Count = &Compare{Op: op, Value: v}
	return n, nil
}

// aggregateCall reads fn(link.attr [where …]) op value.
func (p *textParser) aggregateCall() (*Node, error) {
	fn := p.next()
	n := &Node{}
	if err := p.callBody(fn, n, true); err != nil {
		return nil, err
	}
	name := strings.ToLower(fn.val)
	op, v, err := p.comparison(name + "(…)")
	if err != nil {
		return nil, err
	}
	n.Aggregate.Fn, n.Aggregate.Op, n.Aggregate.Value = name, op, v
	return n, nil
}

// callBody reads "(" path [ "where" or ] ")" into n.
func (p *textParser) callBody(fn textToken, n *Node, aggregate bool) error {
	open := p.next()
	if err := p.enter(); err != nil {
		return err
	}
	defer p.leave()
	at := p.peek()
	path, err := p.path()
	if err != nil {
		return err
	}
	if aggregate {
		if len(path) < 2 {
			return p.errAt(at, fmt.Sprintf("%s( takes a link and an attribute of the linked rows, such as purchases.amount", strings.ToLower(fn.val)))
		}
		n.Aggregate = &Aggregate{Attr: path[len(path)-1]}
		path = path[:len(path)-1]
	}
	n.Link = strings.Join(path, ".")
	if p.isKw(p.peek(), "where") {
		p.next()
		if n.Where, err = p.or(); err != nil {
			return err
		}
	}
	return p.expectClose(open, "or \"where\" in "+strings.ToLower(fn.val)+"(")
}

// comparison reads one of = != < <= > >= and a value.
func (p *textParser) comparison(after string) (string, any, error) {
	t := p.peek()
	if !isComparison(t) {
		return "", nil, p.errAt(t, fmt.Sprintf("expected a comparison (=, !=, <, <=, >, >=) after %s, found %s", after, t.describe()))
	}
	p.next()
	v, err := p.value(ctxPlain)
	return t.val, v, err
}

func isComparison(t textToken) bool {
	if t.kind != tPunct {
		return false
	}
	switch t.val {
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		return true
	}
	return false
}

// condition reads the operator and value after an attribute path.
func (p *textParser) condition(path string) (*Node, error) {
	n := &Node{Attr: path}
	t := p.next()
	ctx := ctxPlain
	switch {
	case isComparison(t):
		n.Op = t.val
	case p.isKw(t, "in"):
		n.Op = OpIn
	case p.isKw(t, "not"):
		if err := p.expectKw("in"); err != nil {
			return nil, err
		}
		n.Op = OpNotIn
	case p.isKw(t, "between"):
		n.Op = OpBetween
		v, err := p.between()
		n.Value = v
		return n, err
	case p.isKw(t, "contains"), p.isKw(t, "icontains"):
		n.Op = OpContains
	case p.isKw(t, "starts"), p.isKw(t, "istarts"):
		n.Op = OpStartsWith
	case p.isKw(t, "ends"), p.isKw(t, "iends"):
		n.Op = OpEndsWith
	case p.isKw(t, "is"):
		op, err := p.isOp()
		if err != nil {
			return nil, err
		}
		n.Op = op
		return n, nil
	case p.isKw(t, OpBefore), p.isKw(t, OpAfter):
		n.Op = strings.ToLower(t.val)
	case p.isKw(t, "within"):
		switch w := p.next(); {
		case p.isKw(w, "last"):
			n.Op = OpWithinLast
		case p.isKw(w, "next"):
			n.Op = OpWithinNext
		default:
			return nil, p.errAt(w, fmt.Sprintf("expected \"last\" or \"next\" after \"within\", found %s", w.describe()))
		}
		ctx = ctxDuration
	case p.isKw(t, "day"):
		for _, kw := range []string{"of", "week", "in"} {
			if err := p.expectKw(kw); err != nil {
				return nil, err
			}
		}
		n.Op, ctx = OpDayOfWeek, ctxWeekday
	case p.isKw(t, "anniversary"):
		if err := p.expectKw("within"); err != nil {
			return nil, err
		}
		n.Op, ctx = OpAnniversaryWithin, ctxAnniversary
	default:
		return nil, p.errAt(t, fmt.Sprintf("expected an operator (=, !=, <, in, not in, between, contains, starts with, is null, before, within last, day of week in, …) after %q, found %s", shortText(path), t.describe()))
	}
	n.CaseInsensitive = p.isKw(t, "icontains") || p.isKw(t, "istarts") || p.isKw(t, "iends")
	if n.Op == OpStartsWith || n.Op == OpEndsWith {
		if err := p.expectKw("with"); err != nil {
			return nil, err
		}
	}
	v, err := p.value(ctx)
	if err != nil {
		return nil, err
	}
	n.Value = v
	return n, nil
}

// isOp reads the rest of an "is" test, "[not] null" or "[not] empty",
// and returns its operator.
func (p *textParser) isOp() (string, error) {
	not := p.isKw(p.peek(), "not")
	if not {
		p.next()
	}
	switch w := p.next(); {
	case p.isKw(w, "null") && not:
		return OpIsNotNull, nil
	case p.isKw(w, "null"):
		return OpIsNull, nil
	case p.isKw(w, "empty") && not:
		return OpIsNotEmpty, nil
	case p.isKw(w, "empty"):
		return OpIsEmpty, nil
	default:
		return "", p.errAt(w, fmt.Sprintf("expected \"null\" or \"empty\" after %s, found %s", p.prevOf(w), w.describe()))
	}
}

// between reads "a and b" (a two-value list), a list, or one value.
func (p *textParser) between() (any, error) {
	if p.isPunct(p.peek(), "(") {
		return p.value(ctxPlain)
	}
	lo, err := p.value(ctxPlain)
	if err != nil {
		return nil, err
	}
	if !p.isKw(p.peek(), "and") || !p.startsValue(p.peekAt(1)) {
		return lo, nil
	}
	p.next()
	hi, err := p.value(ctxPlain)
	if err != nil {
		return nil, err
	}
	return []any{lo, hi}, nil
}

// startsValue reports whether t can begin a scalar value.
func (p *textParser) startsValue(t textToken) bool {
	switch t.kind {
	case tString, tNumber, tParam:
		return true
	}
	return p.isKw(t, "true") || p.isKw(t, "false") || p.isKw(t, "null")
}

// value = string | number | true | false | null | $param | "(" [ value { "," value } ] ")"
// and, in their contexts, bare durations, weekdays and day counts.
func (p *textParser) value(ctx valueCtx) (any, error) {
	t := p.peek()
	switch {
	case t.kind == tString:
		p.next()
		return t.val, nil
	case t.kind == tNumber:
		p.next()
		return json.Number(t.val), nil
	case t.kind == tParam:
		p.next()
		return Param{Param: t.val}, nil
	case p.isKw(t, "true"), p.isKw(t, "false"):
		p.next()
		return strings.EqualFold(t.val, "true"), nil
	case p.isKw(t, "null"):
		p.next()
		return nil, nil
	case p.isPunct(t, "("):
		return p.list(ctx)
	case t.kind == tWord && ctx == ctxDuration:
		p.next()
		return t.val, nil
	case t.kind == tWord && ctx == ctxAnniversary:
		digits, ok := strings.CutSuffix(t.val, "d")
		if n, err := strconv.Atoi(digits); ok && err == nil && len(digits) <= 6 && isAllDigits(digits) {
			p.next()
			return json.Number(strconv.Itoa(n)), nil
		}
		return nil, p.errAt(t, fmt.Sprintf("expected a number of days such as 7d after %s, found %s", p.prev(), t.describe()))
	case t.kind == tIdent && ctx == ctxWeekday:
		p.next()
		return t.val, nil
	case t.kind == tIdent && ctx == ctxPlain && !isHardKeyword(t.val):
		return nil, p.errAt(t, fmt.Sprintf("expected a value after %s, found %s (strings take double quotes: \"%s\")", p.prev(), t.describe(), shortText(t.val)))
	}
	hint := ""
	switch ctx {
	case ctxDuration:
		hint = " such as 90d"
	case ctxWeekday:
		hint = " such as (sat, sun)"
	case ctxAnniversary:
		hint = " such as 7d"
	}
	return nil, p.errAt(t, fmt.Sprintf("expected a value%s after %s, found %s", hint, p.prev(), t.describe()))
}

func isAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func (p *textParser) list(ctx valueCtx) (any, error) {
	open := p.next()
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	list := []any{}
	if p.isPunct(p.peek(), ")") {
		p.next()
		return list, nil
	}
	for {
		v, err := p.value(ctx)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		if !p.isPunct(p.peek(), ",") {
			break
		}
		p.next()
	}
	if err := p.expectClose(open, "or \",\" in the list opened"); err != nil {
		return nil, err
	}
	return list, nil
}

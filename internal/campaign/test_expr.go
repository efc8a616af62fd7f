package campaign

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// MaxConditionLen bounds the text of a test condition.
const MaxConditionLen = 4096

// Condition is a parsed test branch condition such as
// `count >= 1000 and vars.discount > 10`: comparisons of count (the rows
// entering the test), vars.<name> (campaign variables) and params.<name>
// (the run's signal parameters) with numbers, strings, true and false,
// joined by and, or, not and parentheses.
type Condition struct {
	root *condNode
	refs []string
}

type condNode struct {
	op          string // and, or, not, or a comparison operator
	left, right *condNode
	// Leaves (op == ""): a reference or a literal.
	ref string
	lit any // float64, string or bool
}

// ParseCondition reads a test condition.
func ParseCondition(s string) (*Condition, error) {
	if len(s) > MaxConditionLen {
		return nil, fmt.Errorf("the condition is longer than %d bytes", MaxConditionLen)
	}
	toks, err := lexCondition(s)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks, refs: map[string]bool{}}
	if p.peek().kind == ctEOF {
		return nil, fmt.Errorf("the condition is empty")
	}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != ctEOF {
		return nil, fmt.Errorf("unexpected %s at column %d after a complete condition (missing \"and\" or \"or\"?)", t.describe(), t.col)
	}
	c := &Condition{root: n}
	for r := range p.refs {
		c.refs = append(c.refs, r)
	}
	sort.Strings(c.refs)
	return c, nil
}

// Refs returns the names the condition reads, such as "count" and
// "vars.discount", sorted.
func (c *Condition) Refs() []string { return c.refs }

// Eval evaluates the condition. env holds "count" (a number), "vars" and
// "params" (map[string]any); numbers may be any Go integer or float type or
// json.Number. Comparing values of different kinds, or reading a name env
// lacks, is an error.
func (c *Condition) Eval(env map[string]any) (bool, error) {
	return evalCond(c.root, env)
}

func evalCond(n *condNode, env map[string]any) (bool, error) {
	switch n.op {
	case "and", "or":
		l, err := evalCond(n.left, env)
		if err != nil {
			return false, err
		}
		if n.op == "and" && !l || n.op == "or" && l {
			return l, nil
		}
		return evalCond(n.right, env)
	case "not":
		v, err := evalCond(n.left, env)
		return !v, err
	}
	l, err := operand(n.left, env)
	if err != nil {
		return false, err
	}
	r, err := operand(n.right, env)
	if err != nil {
		return false, err
	}
	var cmp int
	switch x := l.(type) {
	case float64:
		y, ok := r.(float64)
		if !ok {
			return false, mismatch(n, l, r)
		}
		switch {
		case x < y:
			cmp = -1
		case x > y:
			cmp = 1
		}
	case string:
		y, ok := r.(string)
		if !ok {
			return false, mismatch(n, l, r)
		}
		cmp = strings.Compare(x, y)
	case bool:
		y, ok := r.(bool)
		if !ok {
			return false, mismatch(n, l, r)
		}
		if n.op != "=" && n.op != "!=" {
			return false, fmt.Errorf("%s: booleans compare only with = and !=", n.left.text())
		}
		if x != y {
			cmp = 1
		}
	}
	switch n.op {
	case "=":
		return cmp == 0, nil
	case "!=":
		return cmp != 0, nil
	case "<":
		return cmp < 0, nil
	case "<=":
		return cmp <= 0, nil
	case ">":
		return cmp > 0, nil
	}
	return cmp >= 0, nil
}

func mismatch(n *condNode, l, r any) error {
	return fmt.Errorf("cannot compare %s (%s) with %s (%s)", n.left.text(), kindOf(l), n.right.text(), kindOf(r))
}

func kindOf(v any) string {
	switch v.(type) {
	case float64:
		return "a number"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

func (n *condNode) text() string {
	if n.ref != "" {
		return n.ref
	}
	if s, ok := n.lit.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(n.lit)
}

// operand returns a leaf's value as float64, string or bool.
func operand(n *condNode, env map[string]any) (any, error) {
	if n.ref == "" {
		return n.lit, nil
	}
	var v any
	var ok bool
	if n.ref == "count" {
		v, ok = env["count"]
	} else {
		scope, name, _ := strings.Cut(n.ref, ".")
		var m map[string]any
		m, ok = env[scope].(map[string]any)
		if ok {
			v, ok = m[name]
		}
	}
	if !ok {
		return nil, fmt.Errorf("%s is not set", n.ref)
	}
	switch x := v.(type) {
	case string, bool:
		return x, nil
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", n.ref, x)
		}
		return f, nil
	}
	return nil, fmt.Errorf("%s holds %T, which conditions cannot compare", n.ref, v)
}

type condTokKind int

const (
	ctEOF condTokKind = iota
	ctIdent
	ctNumber
	ctString
	ctOp
	ctLParen
	ctRParen
)

type condTok struct {
	kind condTokKind
	text string // ident, operator, or the decoded string
	num  float64
	col  int
}

func (t condTok) describe() string {
	switch t.kind {
	case ctEOF:
		return "end of condition"
	case ctString:
		return strconv.Quote(t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

func lexCondition(s string) ([]condTok, error) {
	var toks []condTok
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		col := i + 1
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(':
			toks = append(toks, condTok{kind: ctLParen, text: "(", col: col})
			i++
		case r == ')':
			toks = append(toks, condTok{kind: ctRParen, text: ")", col: col})
			i++
		case strings.ContainsRune("=!<>", r):
			op := string(r)
			if i+1 < len(rs) && rs[i+1] == '=' {
				op += "="
			}
			if op == "!" {
				return nil, fmt.Errorf("column %d: unexpected \"!\" (use != or not)", col)
			}
			if op == "==" {
				op = "="
			}
			toks = append(toks, condTok{kind: ctOp, text: op, col: col})
			i += len([]rune(op))
			if op == "=" && i < len(rs) && rs[i] == '=' {
				i++ // "==" reads as "="
			}
		case r == '"' || r == '\'':
			j := i + 1
			var b strings.Builder
			for j < len(rs) && rs[j] != r {
				if rs[j] == '\\' && j+1 < len(rs) {
					j++
				}
				b.WriteRune(rs[j])
				j++
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("column %d: the string never ends", col)
			}
			toks = append(toks, condTok{kind: ctString, text: b.String(), col: col})
			i = j + 1
		case r >= '0' && r <= '9' || r == '-' || r == '.':
			j := i + 1
			for j < len(rs) && (rs[j] >= '0' && rs[j] <= '9' || rs[j] == '.' || rs[j] == 'e' || rs[j] == 'E' ||
				(rs[j] == '-' || rs[j] == '+') && (rs[j-1] == 'e' || rs[j-1] == 'E')) {
				j++
			}
			text := string(rs[i:j])
			f, err := strconv.ParseFloat(text, 64)
			if err != nil || f != f || f > 1e308 || f < -1e308 {
				return nil, fmt.Errorf("column %d: %q is not a number", col, text)
			}
			toks = append(toks, condTok{kind: ctNumber, text: text, num: f, col: col})
			i = j
		case r == '_' || unicode.IsLetter(r):
			j := i + 1
			for j < len(rs) && (rs[j] == '_' || rs[j] == '.' || unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
				j++
			}
			toks = append(toks, condTok{kind: ctIdent, text: string(rs[i:j]), col: col})
			i = j
		default:
			return nil, fmt.Errorf("column %d: unexpected %q", col, r)
		}
	}
	return append(toks, condTok{kind: ctEOF, col: len(rs) + 1}), nil
}

type condParser struct {
	toks []condTok
	pos  int
	refs map[string]bool
}

// maxCondDepth bounds nesting so that absurd input cannot exhaust the
// stack.
const maxCondDepth = 100

func (p *condParser) peek() condTok { return p.toks[p.pos] }

func (p *condParser) next() condTok {
	t := p.toks[p.pos]
	if t.kind != ctEOF {
		p.pos++
	}
	return t
}

func (p *condParser) keyword(word string) bool {
	t := p.peek()
	if t.kind == ctIdent && strings.EqualFold(t.text, word) {
		p.pos++
		return true
	}
	return false
}

func (p *condParser) or(depth int) (*condNode, error) {
	if depth > maxCondDepth {
		return nil, fmt.Errorf("the condition nests deeper than %d levels", maxCondDepth)
	}
	l, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		r, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		l = &condNode{op: "or", left: l, right: r}
	}
	return l, nil
}

func (p *condParser) and(depth int) (*condNode, error) {
	l, err := p.not(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		r, err := p.not(depth)
		if err != nil {
			return nil, err
		}
		l = &condNode{op: "and", left: l, right: r}
	}
	return l, nil
}

func (p *condParser) not(depth int) (*condNode, error) {
	if depth > maxCondDepth {
		return nil, fmt.Errorf("the condition nests deeper than %d levels", maxCondDepth)
	}
	if p.keyword("not") {
		n, err := p.not(depth + 1)
		if err != nil {
			return nil, err
		}
		return &condNode{op: "not", left: n}, nil
	}
	if p.peek().kind == ctLParen {
		p.next()
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != ctRParen {
			return nil, fmt.Errorf("column %d: expected \")\", found %s", t.col, t.describe())
		}
		return n, nil
	}
	return p.comparison()
}

func (p *condParser) comparison() (*condNode, error) {
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	t := p.next()
	if t.kind != ctOp {
		return nil, fmt.Errorf("column %d: expected a comparison (= != < <= > >=) after %s, found %s", t.col, l.text(), t.describe())
	}
	r, err := p.operand()
	if err != nil {
		return nil, err
	}
	if l.ref == "" && r.ref == "" {
		return nil, fmt.Errorf("column %d: a comparison reads count, vars.<name> or params.<name>", t.col)
	}
	return &condNode{op: t.text, left: l, right: r}, nil
}

func (p *condParser) operand() (*condNode, error) {
	t := p.next()
	switch t.kind {
	case ctNumber:
		return &condNode{lit: t.num}, nil
	case ctString:
		return &condNode{lit: t.text}, nil
	case ctIdent:
		switch low := strings.ToLower(t.text); {
		case low == "true" || low == "false":
			return &condNode{lit: low == "true"}, nil
		case t.text == "count":
			p.refs[t.text] = true
			return &condNode{ref: t.text}, nil
		}
		scope, name, ok := strings.Cut(t.text, ".")
		if ok && (scope == "vars" || scope == "params") && isIdent(name) {
			p.refs[t.text] = true
			return &condNode{ref: t.text}, nil
		}
		return nil, fmt.Errorf("column %d: unknown name %q: use count, vars.<name> or params.<name>", t.col, t.text)
	}
	return nil, fmt.Errorf("column %d: expected count, vars.<name>, params.<name>, a number or a string, found %s", t.col, t.describe())
}

// isIdent reports whether s is an identifier: a letter or '_' then
// letters, digits and '_', at most 64 bytes.
func isIdent(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

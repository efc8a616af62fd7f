package audience

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// FormatText prints a query tree in the text syntax with as few
// parentheses as keep its shape: ParseText(FormatText(t)) equals t for
// every tree ParseText returns, and for every valid tree whose values are
// json.Number, string, bool, nil, []any or Param. Nodes that have no text
// form (a node with no form set, fields of another form) print as close
// as they can and may not parse back.
func FormatText(n *Node) string {
	var b strings.Builder
	formatTextNode(&b, n, parentTop)
	return b.String()
}

// Where a node is printed, for deciding on parentheses.
const (
	parentTop = iota // the whole query, a where, an argument of all(…)/any(…)
	parentAnd
	parentOr
	parentNot
)

func formatTextNode(b *strings.Builder, n *Node, parent int) {
	switch {
	case n == nil:
		b.WriteString("all()") // No text form; all() keeps the output readable.
	case n.And != nil && len(n.And) >= 2:
		formatInfix(b, n.And, " and ", parentAnd, parent == parentAnd || parent == parentNot)
	case n.Or != nil && len(n.Or) >= 2:
		formatInfix(b, n.Or, " or ", parentOr, parent != parentTop)
	case n.And != nil && len(n.And) == 1:
		formatCall(b, "all", n.And)
	case n.Or != nil:
		formatCall(b, "any", n.Or)
	case n.Not != nil:
		b.WriteString("not ")
		formatTextNode(b, n.Not, parentNot)
	case n.Attr != "" || n.Op != "":
		formatCondition(b, n)
	case n.Link != "" || n.Where != nil || n.Count != nil || n.Aggregate != nil:
		formatLink(b, n)
	case n.Audience != "":
		b.WriteString("in audience ")
		writeQuoted(b, n.Audience, '"')
	default: // an empty and, or no form: everything
		b.WriteString("all")
	}
}

func formatInfix(b *strings.Builder, list []*Node, sep string, as int, parens bool) {
	if parens {
		b.WriteByte('(')
	}
	for i, c := range list {
		if i > 0 {
			b.WriteString(sep)
		}
		formatTextNode(b, c, as)
	}
	if parens {
		b.WriteByte(')')
	}
}

func formatCall(b *strings.Builder, fn string, list []*Node) {
	b.WriteString(fn)
	b.WriteByte('(')
	for i, c := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		formatTextNode(b, c, parentTop)
	}
	b.WriteByte(')')
}

// formatCondition prints an attribute condition with the operator's text
// form from the operator table.
func formatCondition(b *strings.Builder, n *Node) {
	formatPath(b, n.Attr)
	b.WriteByte(' ')
	o, ok := operators[n.Op]
	if !ok {
		// Unknown: keep it visible, it will not parse.
		b.WriteString("?" + n.Op + "? ")
		formatTextValue(b, n.Value, ctxPlain)
		return
	}
	if o.caseInsensitive && n.CaseInsensitive {
		b.WriteByte('i')
	}
	b.WriteString(o.text)
	switch o.value {
	case valueNone:
		return
	case valuePair:
		b.WriteByte(' ')
		if l, ok := n.Value.([]any); ok && len(l) == 2 && isScalarValue(l[0]) && isScalarValue(l[1]) {
			formatTextValue(b, l[0], ctxPlain)
			b.WriteString(" and ")
			formatTextValue(b, l[1], ctxPlain)
			return
		}
	default:
		b.WriteByte(' ')
	}
	formatTextValue(b, n.Value, o.value.textContext())
}

// textContext is the context a value of this kind is printed in: bare
// words only where the parser reads them back.
func (k valueKind) textContext() valueCtx {
	switch k {
	case valueDuration:
		return ctxDuration
	case valueWeekdays:
		return ctxWeekday
	case valueDays:
		return ctxAnniversary
	}
	return ctxPlain
}

// isScalarValue reports whether v prints as one token, so "between a and b"
// reads back as two values.
func isScalarValue(v any) bool {
	switch v.(type) {
	case []any, map[string]any:
		return false
	}
	return true
}

func formatLink(b *strings.Builder, n *Node) {
	switch {
	case n.Count != nil:
		b.WriteString("count(")
		formatPath(b, n.Link)
	case n.Aggregate != nil:
		b.WriteString(n.Aggregate.Fn)
		b.WriteByte('(')
		formatPath(b, n.Link)
		b.WriteByte('.')
		formatName(b, n.Aggregate.Attr)
	default:
		b.WriteString("exists(")
		formatPath(b, n.Link)
	}
	if n.Where != nil {
		b.WriteString(" where ")
		formatTextNode(b, n.Where, parentTop)
	}
	b.WriteByte(')')
	var op string
	var v any
	switch {
	case n.Count != nil:
		op, v = n.Count.Op, n.Count.Value
	case n.Aggregate != nil:
		op, v = n.Aggregate.Op, n.Aggregate.Value
	default:
		return
	}
	b.WriteByte(' ')
	b.WriteString(op)
	b.WriteByte(' ')
	formatTextValue(b, v, ctxPlain)
}

// formatPath prints a dotted path, quoting the names that need it.
func formatPath(b *strings.Builder, path string) {
	for i, seg := range strings.Split(path, ".") {
		if i > 0 {
			b.WriteByte('.')
		}
		formatName(b, seg)
	}
}

var plainName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func formatName(b *strings.Builder, name string) {
	if plainName.MatchString(name) && !isHardKeyword(name) {
		b.WriteString(name)
		return
	}
	writeQuoted(b, name, '`')
}

var (
	bareDuration = regexp.MustCompile(`^[0-9]{1,6}(min|h|d|w|mo|y)$`)
	bareParam    = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
)

func formatTextValue(b *strings.Builder, v any, ctx valueCtx) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		if ctx == ctxAnniversary && isAllDigits(string(x)) && len(x) <= 6 && (x == "0" || x[0] != '0') {
			b.WriteString(string(x) + "d")
			return
		}
		b.WriteString(string(x))
	case string:
		switch {
		case ctx == ctxDuration && bareDuration.MatchString(x):
			b.WriteString(x)
		case ctx == ctxWeekday && plainName.MatchString(x) && isWeekdayName(x):
			b.WriteString(x)
		default:
			writeQuoted(b, x, '"')
		}
	case Param:
		b.WriteByte('$')
		if bareParam.MatchString(x.Param) {
			b.WriteString(x.Param)
		} else {
			writeQuoted(b, x.Param, '`')
		}
	case []any:
		b.WriteByte('(')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			formatTextValue(b, e, ctx)
		}
		b.WriteByte(')')
	case int, int64, float64:
		fmt.Fprint(b, x)
	default: // not a value of the text syntax: show it as JSON
		j, _ := json.Marshal(x)
		b.Write(j)
	}
}

func isWeekdayName(s string) bool {
	_, err := ParseWeekday(s)
	return err == nil
}

// writeQuoted writes s between quote characters q with the escapes
// lexQuoted reads. Bytes that are not valid UTF-8 pass through unchanged,
// so any string reads back exactly.
func writeQuoted(b *strings.Builder, s string, q byte) {
	b.WriteByte(q)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == q || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(q)
}

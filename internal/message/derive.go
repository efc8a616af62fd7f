package message

import (
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	nethtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// An email without its own text body gets one derived from its HTML.
// Converting each recipient's rendered HTML costs more than everything
// else of a send (parsing ~20 KB of HTML per message), so the HTML
// *template* is converted once instead, its Liquid tokens carried through
// as opaque placeholders, and the resulting text template is rendered per
// recipient like any other field.
//
// Conversion of a template is only trusted when it keeps the template's
// logic: every tag ({% %}) must survive, and every token that survives must
// keep its order. A tag inside an attribute the converter drops (a class,
// an image source), inside <head>, or moved by the HTML parser (text
// directly inside a <table> is "foster-parented" out of it) makes the
// template fall back to converting each rendered message. Outputs ({{ }})
// may vanish: the text of an image source is not wanted anyway.
//
// The derived text differs from the per-message conversion in two ways,
// both documented: markup inside a rendered value is not stripped (a
// profile field holding "<b>x</b>" shows the tags), and blank lines are
// tidied after rendering rather than before.

// placeholder delimiters: private-use runes, which HTML keeps as text and
// the text writer never splits on.
const (
	phOpen  = "\ue000"
	phClose = "\ue001"
)

// liquidToken is one {{ … }} or {% … %} of a template; name is a tag's.
type liquidToken struct {
	src, name string
	tag       bool
}

// liquidTokenRE is the Liquid library's own lexer expression (parser/
// scanner.go of osteele/liquid, default delimiters), so that templates
// split here exactly as they do when parsed.
var liquidTokenRE = regexp.MustCompile(`{{-?\s*(.+?)\s*-?}}|{%-?\s*(\w+)(?:\s+((?:[^%]|%[^}])+?))?\s*-?%}`)

// scanLiquid splits a template into literal text and tokens; there is
// one more literal than tokens.
func scanLiquid(src string) (literals []string, tokens []liquidToken) {
	p := 0
	for _, m := range liquidTokenRE.FindAllStringSubmatchIndex(src, -1) {
		literals = append(literals, src[p:m[0]])
		t := liquidToken{src: src[m[0]:m[1]]}
		if m[4] >= 0 {
			t.tag, t.name = true, src[m[4]:m[5]]
		}
		tokens = append(tokens, t)
		p = m[1]
	}
	return append(literals, src[p:]), tokens
}

// deriveTextTemplate converts an HTML template to a text template, or
// reports false when the conversion cannot be trusted (see above).
func deriveTextTemplate(src string) (string, bool) {
	if strings.Contains(src, phOpen) || strings.Contains(src, phClose) {
		return "", false
	}
	literals, tokens := scanLiquid(src)
	if hasRawBlock(tokens) {
		// raw and comment blocks hold text the scanner would take for
		// tokens.
		return "", false
	}
	if !applyWhitespaceControl(literals, tokens) {
		return "", false
	}
	var b strings.Builder
	for i, lit := range literals {
		b.WriteString(lit)
		if i == len(tokens) {
			break
		}
		if strings.HasSuffix(lit, "<") || strings.HasSuffix(lit, "</") || strings.HasSuffix(lit, "&") {
			return "", false // the value completes markup or an entity
		}
		b.WriteString(phOpen + strconv.Itoa(i) + phClose)
	}
	if fosterParented(b.String()) || !blocksBalanced(b.String(), tokens) {
		return "", false
	}
	text := HTMLToText(b.String())
	if !keepsLogic(text, tokens) {
		return "", false
	}
	// A line holding only tags (a loop's opening, an endif) gives its
	// line break up, as Liquid authors write with "-%}": otherwise each
	// iteration of a loop would add an empty line.
	var out strings.Builder
	var kept []string
	for line := range strings.Lines(text) {
		body := strings.TrimRight(line, "\n")
		if onlyTags(body, tokens) {
			line = body
		}
		if !restore(&out, &kept, line, tokens) {
			return "", false
		}
	}
	// The text must split into the tokens it was given, no more.
	derived := out.String()
	_, again := scanLiquid(derived)
	if len(again) != len(kept) {
		return "", false
	}
	for i, t := range again {
		if t.src != kept[i] {
			return "", false
		}
	}
	return derived, true
}

// blocksBalanced reports whether every block of the template (for, if,
// case…) opens, branches and closes among the same element's children (or
// in the same attribute): then each iteration or branch is whole elements
// and text, which the converter turns into text the same way rendered or
// not. A loop that opens an element it does not close is not.
func blocksBalanced(src string, tokens []liquidToken) bool {
	doc, err := nethtml.Parse(strings.NewReader(src))
	if err != nil {
		return false
	}
	type place struct {
		parent *nethtml.Node
		attr   string
	}
	where := map[int]place{}
	note := func(s string, p place) {
		for {
			i := strings.Index(s, phOpen)
			if i < 0 {
				return
			}
			s = s[i+len(phOpen):]
			j := strings.Index(s, phClose)
			if j < 0 {
				return
			}
			if n, err := strconv.Atoi(s[:j]); err == nil {
				where[n] = p
			}
			s = s[j+len(phClose):]
		}
	}
	var walk func(n *nethtml.Node)
	walk = func(n *nethtml.Node) {
		if n.Type == nethtml.TextNode {
			note(n.Data, place{parent: n.Parent})
		}
		for _, a := range n.Attr {
			note(a.Val, place{parent: n, attr: a.Key})
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	type open struct {
		name string
		at   place
	}
	var stack []open
	for i, t := range tokens {
		if !t.tag {
			continue
		}
		name := t.name
		at, ok := where[i]
		if !ok {
			return false
		}
		switch name {
		case "for", "if", "unless", "case", "capture", "tablerow":
			stack = append(stack, open{name, at})
		case "else", "elsif", "when":
			if len(stack) == 0 || stack[len(stack)-1].at != at {
				return false
			}
		default:
			if base, ok := strings.CutPrefix(name, "end"); ok && base != "" {
				if len(stack) == 0 || stack[len(stack)-1].name != base || stack[len(stack)-1].at != at {
					return false
				}
				stack = stack[:len(stack)-1]
			}
		}
	}
	return len(stack) == 0
}

// fosterParented reports a placeholder in a table's own content (outside
// its cells), which the HTML parser moves before the table, out of the
// block it belongs to.
func fosterParented(src string) bool {
	z := nethtml.NewTokenizer(strings.NewReader(src))
	var stack []atom.Atom
	for {
		switch z.Next() {
		case nethtml.ErrorToken:
			return false
		case nethtml.StartTagToken:
			if a := z.Token().DataAtom; tableParts[a] {
				stack = append(stack, a)
			}
		case nethtml.EndTagToken:
			a := z.Token().DataAtom
			if tableParts[a] {
				for len(stack) > 0 {
					top := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					if top == a {
						break
					}
				}
			}
		case nethtml.TextToken:
			if len(stack) > 0 && !tableCells[stack[len(stack)-1]] && strings.Contains(string(z.Text()), phOpen) {
				return true
			}
		}
	}
}

var (
	tableParts = map[atom.Atom]bool{atom.Table: true, atom.Thead: true, atom.Tbody: true, atom.Tfoot: true, atom.Tr: true, atom.Td: true, atom.Th: true, atom.Caption: true}
	tableCells = map[atom.Atom]bool{atom.Td: true, atom.Th: true, atom.Caption: true}
)

// keepsLogic reports whether the converted text keeps every tag and the
// order of the tokens it keeps.
func keepsLogic(text string, tokens []liquidToken) bool {
	next := 0
	for {
		i := strings.Index(text, phOpen)
		if i < 0 {
			break
		}
		text = text[i+len(phOpen):]
		j := strings.Index(text, phClose)
		if j < 0 {
			return false
		}
		n, err := strconv.Atoi(text[:j])
		if err != nil || n < next || n >= len(tokens) {
			return false // duplicated or out of order
		}
		for ; next < n; next++ {
			if tokens[next].tag {
				return false // a tag was dropped
			}
		}
		next = n + 1
		text = text[j+len(phClose):]
	}
	for ; next < len(tokens); next++ {
		if tokens[next].tag {
			return false
		}
	}
	return true
}

// onlyTags reports a line made of tag placeholders and blanks alone.
func onlyTags(line string, tokens []liquidToken) bool {
	line = strings.TrimSpace(line)
	if line == "" {
		return false
	}
	for line != "" {
		rest, ok := strings.CutPrefix(line, phOpen)
		if !ok {
			return false
		}
		j := strings.Index(rest, phClose)
		n, err := strconv.Atoi(rest[:max(j, 0)])
		if j < 0 || err != nil || !tokens[n].tag {
			return false
		}
		line = strings.TrimSpace(rest[j+len(phClose):])
	}
	return true
}

// restore writes converted text as template source: placeholders become
// their tokens again; literal text must not open a token, and its
// ampersands are escaped so that unescaping the rendered text (which
// turns values' entities into characters, as converting each message
// would) leaves them as written.
func restore(out *strings.Builder, kept *[]string, text string, tokens []liquidToken) bool {
	for {
		i := strings.Index(text, phOpen)
		lit := text
		if i >= 0 {
			lit = text[:i]
		}
		if strings.Contains(lit, "{{") || strings.Contains(lit, "{%") || strings.Contains(lit, phClose) || i >= 0 && strings.HasSuffix(lit, "{") {
			return false
		}
		out.WriteString(strings.ReplaceAll(lit, "&", "&amp;"))
		if i < 0 {
			return true
		}
		text = text[i+len(phOpen):]
		j := strings.Index(text, phClose)
		n, _ := strconv.Atoi(text[:j]) // checked by keepsLogic
		tok := untrimmed(tokens[n].src)
		out.WriteString(tok)
		*kept = append(*kept, tok)
		text = text[j+len(phClose):]
	}
}

// applyWhitespaceControl trims the literals beside tokens that ask for it
// ("{{-", "-%}"), as rendering would: the HTML converted is then the HTML
// rendered. Liquid trims the next or previous *write*, so a trim facing an
// empty literal reaches a value or crosses a tag, which depends on the
// values rendered: it reports false for those.
func applyWhitespaceControl(literals []string, tokens []liquidToken) bool {
	empty := make([]bool, len(literals))
	for i, l := range literals {
		empty[i] = l == ""
	}
	for i, t := range tokens {
		if t.src[2] == '-' {
			if i > 0 && empty[i] {
				return false
			}
			literals[i] = strings.TrimRightFunc(literals[i], unicode.IsSpace)
		}
		if t.src[len(t.src)-3] == '-' {
			if i+1 < len(tokens) && empty[i+1] {
				return false
			}
			literals[i+1] = strings.TrimLeftFunc(literals[i+1], unicode.IsSpace)
		}
	}
	return true
}

// hasRawBlock reports a raw or comment tag.
func hasRawBlock(tokens []liquidToken) bool {
	for _, t := range tokens {
		if t.name == "raw" || t.name == "comment" {
			return true
		}
	}
	return false
}

// untrimmed drops a token's whitespace control ("{{-", "-%}"): it was
// applied to the HTML before converting it (applyWhitespaceControl), and
// trimming the converted text again would join lines.
func untrimmed(tok string) string {
	open, body, close := tok[:2], tok[2:len(tok)-2], tok[len(tok)-2:]
	body = strings.TrimPrefix(body, "-")
	body = strings.TrimSuffix(body, "-")
	return open + body + close
}

// tidyText finishes a rendered derived text as the converter would have:
// values' entities become characters, runs of blanks one space, and runs
// of empty lines (a loop's iterations each ending a block) one.
func tidyText(s string) string {
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	b := make([]byte, 0, len(s))
	space, newlines := false, 0
	for i := 0; i < len(s); {
		// Copy a run of ordinary bytes at once: single spaces between
		// words are most of what is not a letter.
		j := i
		for j < len(s) && (s[j] > ' ' && s[j] != 0xc2 || s[j] == ' ' && j > i && j+1 < len(s) && s[j+1] > ' ' && s[j+1] != 0xc2) {
			j++
		}
		if j > i {
			if len(b) > 0 {
				switch {
				case newlines > 1:
					b = append(b, '\n', '\n')
				case newlines == 1:
					b = append(b, '\n')
				case space:
					b = append(b, ' ')
				}
			}
			space, newlines = false, 0
			b = append(b, s[i:j]...)
			i = j
			continue
		}
		switch c := s[i]; {
		case c == '\n':
			newlines++
			space = false
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			space = true
		case c == 0xc2 && i+1 < len(s) && s[i+1] == 0xa0: // no-break space
			space = true
			i++
		case c == 0: // dropped, as the HTML parser does
		default: // another control character, or a lone 0xc2 byte
			if len(b) > 0 && newlines == 0 && space {
				b = append(b, ' ')
			} else if len(b) > 0 && newlines > 0 {
				b = append(b, "\n\n"[:min(newlines, 2)]...)
			}
			space, newlines = false, 0
			b = append(b, c)
		}
		i++
	}
	return string(b)
}

package message

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLToText derives a plain-text body from an HTML one: block elements
// become line breaks, links "text (url)", images their alt text; scripts,
// styles and the head are dropped and runs of blanks collapse.
func HTMLToText(src string) string {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return src
	}
	var w textWriter
	w.walk(doc)
	return w.String()
}

// textWriter collects text, collapsing blanks and keeping at most one
// empty line between blocks.
type textWriter struct {
	b        strings.Builder
	space    bool // a blank is pending
	newlines int  // line breaks at the end of b
}

func (w *textWriter) text(s string) {
	if s == "" {
		return
	}
	if r, _ := utf8.DecodeRuneInString(s); isHTMLSpace(r) {
		w.space = true
	}
	for i, f := range strings.FieldsFunc(s, isHTMLSpace) {
		if (w.space || i > 0) && w.newlines == 0 && w.b.Len() > 0 {
			w.b.WriteByte(' ')
		}
		w.b.WriteString(f)
		w.space, w.newlines = false, 0
	}
	if r, _ := utf8.DecodeLastRuneInString(s); isHTMLSpace(r) {
		w.space = true
	}
}

func isHTMLSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0'
}

// lineBreak ends the current line; paragraph asks for an empty line.
func (w *textWriter) lineBreak(paragraph bool) {
	if w.b.Len() == 0 {
		return
	}
	want := 1
	if paragraph {
		want = 2
	}
	for w.newlines < want {
		w.b.WriteByte('\n')
		w.newlines++
	}
	w.space = false
}

func (w *textWriter) String() string { return strings.TrimSpace(w.b.String()) }

var paragraphs = map[atom.Atom]bool{
	atom.P: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Table: true, atom.Ul: true, atom.Ol: true, atom.Blockquote: true, atom.Pre: true, atom.Hr: true,
}

var blocks = map[atom.Atom]bool{
	atom.Div: true, atom.Li: true, atom.Tr: true, atom.Section: true, atom.Article: true,
	atom.Header: true, atom.Footer: true, atom.Nav: true, atom.Aside: true, atom.Main: true,
	atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Figure: true, atom.Figcaption: true,
	atom.Address: true, atom.Center: true, atom.Form: true, atom.Tbody: true, atom.Thead: true,
}

func (w *textWriter) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.CommentNode, html.DoctypeNode:
		return
	case html.ElementNode:
		switch n.DataAtom {
		case atom.Script, atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template:
			return
		case atom.Br:
			w.lineBreak(false)
			return
		case atom.Img:
			if alt := attr(n, "alt"); alt != "" {
				w.text(alt)
			}
			return
		case atom.A:
			w.link(n)
			return
		case atom.Td, atom.Th:
			w.space = true
		}
	}
	para, block := paragraphs[n.DataAtom], blocks[n.DataAtom]
	if para || block {
		w.lineBreak(para)
	}
	if n.DataAtom == atom.Li {
		w.text("- ")
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
	if para || block {
		w.lineBreak(para)
	}
}

// link writes "text (url)", or the URL alone when it is the text.
func (w *textWriter) link(n *html.Node) {
	var inner textWriter
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		inner.walk(c)
	}
	text := strings.Join(strings.Fields(inner.String()), " ")
	href := strings.TrimSpace(attr(n, "href"))
	switch {
	case href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(strings.ToLower(href), "javascript:"):
		w.text(text)
	case text == "" || text == href || "mailto:"+text == href:
		w.text(href)
	default:
		w.text(text + " (" + href + ")")
	}
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

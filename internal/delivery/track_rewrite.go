package delivery

import (
	"net/url"
	"sort"
	"strings"

	"golang.org/x/net/html"
)

// linkRewriter turns the links of one message into tracking links: each
// destination once (the HTML part and the text part share its link), in
// the order they appear.
type linkRewriter struct {
	// mint returns the tracking URL of a link: its place, destination
	// (with UTM parameters) and label.
	mint func(link int, dest, label string) (string, error)
	// keep reports a link that must stay as it is (the unsubscribe link).
	keep func(href string) bool
	// utm are the UTM parameters added to each destination that has none
	// of that name.
	utm   map[string]string
	links map[string]string // destination as written → tracking URL
	n     int
}

// track returns the tracking URL of a destination, minting it on first
// sight.
func (w *linkRewriter) track(href, label string) (string, error) {
	if t, ok := w.links[href]; ok {
		return t, nil
	}
	w.n++
	t, err := w.mint(w.n, withUTM(href, w.utm), label)
	if err != nil {
		return "", err
	}
	if w.links == nil {
		w.links = map[string]string{}
	}
	w.links[href] = t
	return t, nil
}

// html rewrites the href of every <a> of an HTML part whose destination
// is http(s), but those marked data-track="false" and the ones keep
// keeps; data-track and data-label (the link's name in reports) are taken
// out. Only the <a> start tags are read (by the HTML tokenizer, one at a
// time) and written again; everything else, comments included, is copied
// byte for byte: tokenizing a whole 24 KB email cost half a millisecond.
func (w *linkRewriter) html(src string) (string, error) {
	var b strings.Builder
	last := 0
	for i := 0; ; {
		j := strings.IndexByte(src[i:], '<')
		if j < 0 {
			break
		}
		j += i
		if strings.HasPrefix(src[j:], "<!--") {
			k := strings.Index(src[j+4:], "-->")
			if k < 0 {
				break
			}
			i = j + 4 + k + 3
			continue
		}
		if j+2 >= len(src) || (src[j+1] != 'a' && src[j+1] != 'A') || !tagSeparator(src[j+2]) {
			i = j + 1
			continue
		}
		end := tagEnd(src, j)
		if end < 0 {
			break
		}
		z := html.NewTokenizer(strings.NewReader(src[j:end]))
		if tt := z.Next(); tt == html.StartTagToken || tt == html.SelfClosingTagToken {
			t := z.Token()
			changed, err := w.anchor(&t)
			if err != nil {
				return "", err
			}
			if changed {
				if b.Len() == 0 {
					b.Grow(len(src) + len(src)/8)
				}
				b.WriteString(src[last:j])
				b.WriteString(t.String())
				last = end
			}
		}
		i = end
	}
	if last == 0 {
		return src, nil
	}
	b.WriteString(src[last:])
	return b.String(), nil
}

// tagSeparator reports a byte that may follow a tag's name.
func tagSeparator(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '/' || c == '>'
}

// tagEnd returns the index just past the '>' ending the tag at i (quoted
// attribute values may hold '>'), -1 when it does not end.
func tagEnd(s string, i int) int {
	var quote byte
	for k := i + 1; k < len(s); k++ {
		switch c := s[k]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return k + 1
		}
	}
	return -1
}

// anchor rewrites one <a> tag; it reports whether the tag changed.
func (w *linkRewriter) anchor(t *html.Token) (bool, error) {
	var href, label string
	hrefAt, off := -1, false
	attrs := t.Attr[:0:0]
	for _, a := range t.Attr {
		switch a.Key {
		case "data-track":
			off = strings.EqualFold(strings.TrimSpace(a.Val), "false")
			continue
		case "data-label":
			label = a.Val
			continue
		case "href":
			href, hrefAt = a.Val, len(attrs)
		}
		attrs = append(attrs, a)
	}
	changed := len(attrs) != len(t.Attr)
	t.Attr = attrs
	href = strings.TrimSpace(href)
	if hrefAt < 0 || off || !trackable(href) || w.keep(href) {
		return changed, nil
	}
	tracked, err := w.track(href, label)
	if err != nil {
		return false, err
	}
	t.Attr[hrefAt].Val = tracked
	return true, nil
}

// text rewrites the http(s) URLs of a text part (see replaceTextURLs);
// trailing punctuation is not part of a URL.
func (w *linkRewriter) text(src string) (string, error) {
	var err error
	out := replaceTextURLs(src, func(m string) string {
		u := strings.TrimRight(m, ".,;:!?")
		if err != nil || w.keep(u) {
			return m
		}
		t, e := w.track(u, "")
		if e != nil {
			err = e
			return m
		}
		return t + m[len(u):]
	})
	return out, err
}

// replaceTextURLs returns s with each http(s) URL replaced by fn's result:
// "http://" or "https://" then a run of bytes that are neither ASCII white
// space (\t \n \f \r and the space) nor one of <>"'()[]{}, leftmost
// first; what the regular expression https?://[^\s<>"'()\[\]{}]+ matches,
// scanned by hand: a text part is most of a message's bytes, and the
// expression's matcher took 7 % of the CPU of a send (BenchmarkSend's
// profile). FuzzTextURLs holds the two equal.
func replaceTextURLs(s string, fn func(string) string) string {
	var b strings.Builder
	last := 0
	// Every URL holds "://", rare in prose, right after "http" or "https":
	// look for it, then back.
	for i := 0; ; {
		k := strings.Index(s[i:], "://")
		if k < 0 {
			break
		}
		p := i + k
		start := -1
		switch {
		case p-5 >= i && s[p-5:p] == "https":
			start = p - 5
		case p-4 >= i && s[p-4:p] == "http":
			start = p - 4
		}
		end := p + len("://")
		for end < len(s) && urlByte(s[end]) {
			end++
		}
		if start < 0 || end == p+len("://") {
			i = p + 1
			continue
		}
		if last == 0 {
			b.Grow(len(s) + 256)
		}
		b.WriteString(s[last:start])
		b.WriteString(fn(s[start:end]))
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// urlByte reports whether c may be part of a URL in a text part.
func urlByte(c byte) bool {
	switch c {
	case '\t', '\n', '\f', '\r', ' ', '<', '>', '"', '\'', '(', ')', '[', ']', '{', '}':
		return false
	}
	return true
}

// withUTM adds the UTM parameters a destination lacks (utm_source…);
// one that does not parse is left as it is.
func withUTM(dest string, utm map[string]string) string {
	if len(utm) == 0 {
		return dest
	}
	u, err := url.Parse(dest)
	if err != nil {
		return dest
	}
	q := u.Query()
	names := make([]string, 0, len(utm))
	for k := range utm {
		names = append(names, k)
	}
	sort.Strings(names)
	added := false
	for _, k := range names {
		if p := "utm_" + k; utm[k] != "" && !q.Has(p) {
			if u.RawQuery != "" || added {
				u.RawQuery += "&"
			}
			u.RawQuery += url.QueryEscape(p) + "=" + url.QueryEscape(utm[k])
			added = true
		}
	}
	return u.String()
}

// withPixel puts an open pixel at the end of an HTML part's body.
func withPixel(doc, src string) string {
	img := `<img src="` + html.EscapeString(src) + `" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0">`
	if i := lastBodyEnd(doc); i >= 0 {
		return doc[:i] + img + doc[i:]
	}
	return doc + img
}

// lastBodyEnd is the index of the last "</body>" in any case, -1 when there
// is none. It compares in place: lowering the whole text first would move
// the indices wherever a character's lower case has another length (the
// Kelvin sign, invalid UTF-8).
func lastBodyEnd(doc string) int {
	const end = "</body>"
	for i := strings.LastIndexByte(doc, '<'); i >= 0; i = strings.LastIndexByte(doc[:i], '<') {
		if len(doc)-i >= len(end) && strings.EqualFold(doc[i:i+len(end)], end) {
			return i
		}
	}
	return -1
}

package message

import (
	"html"
	"slices"
	"strings"
	"testing"
)

// FuzzCompile feeds arbitrary templates to Compile and Render: neither may
// panic, whatever a user types.
func FuzzCompile(f *testing.F) {
	m, _ := shopModel(f)
	for _, s := range []string{"Hi {{ profile.first_name }}", "{% for p in profile.purchases %}{{ p.product.name }}{% endfor %}", "{% assign x = profile.purchases | first %}{{ x.amount | money }}", "{{", "{% raw %}", "{{ profile.created_at | date: '%-", "{{ profile.purchases[1].amount | number: 2 }}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Compile(m, "customers", ChannelSMS, SMS{Text: src}, Env{})
		if err != nil {
			return
		}
		_, _ = tpl.RenderSMS(sampleCustomer())
	})
}

// FuzzDerivedText checks the text derived from an HTML template against
// converting the rendered HTML: the same words in the same order, whatever
// the template (links aside, whose "text (url)" form depends on the
// rendered values).
func FuzzDerivedText(f *testing.F) {
	m, _ := shopModel(f)
	for _, s := range derivedTextSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Compile(m, "customers", ChannelEmail, Email{From: "a@example.com", Subject: "s", HTML: src}, Env{})
		if err != nil {
			return
		}
		e, err := tpl.RenderEmail(sampleCustomer())
		if err != nil || strings.Contains(strings.ToLower(src), "<a") || markupInTokens(src) || strings.Contains(strings.ToLower(e.HTML), "<nil>") {
			// (a whole map printed shows a nil as "<nil>": a value's markup)
			return
		}
		if got, want := strings.Fields(e.Text), strings.Fields(HTMLToText(e.HTML)); !slices.Equal(got, want) {
			t.Errorf("derived text %q, converted %q", e.Text, HTMLToText(e.HTML))
		}
	})
}

// markupInTokens reports Liquid tokens that may output markup: the
// derived text keeps a value's markup (documented), the conversion drops it.
func markupInTokens(src string) bool {
	_, tokens := scanLiquid(src)
	for _, t := range tokens {
		if strings.ContainsAny(t.src, "<>&") {
			return true
		}
	}
	return false
}

// FuzzTidyText checks the run-copying tidyText against a byte-at-a-time
// reference.
func FuzzTidyText(f *testing.F) {
	for _, s := range []string{"a  b\n\n\nc", " x \u00a0 y\t\r\n z", "\u00a9 \xc2", "a\x00b\x01 c", "\n\n a \n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := tidyText(s), tidyTextReference(s); got != want {
			t.Errorf("tidyText(%q) = %q, want %q", s, got, want)
		}
	})
}

func tidyTextReference(s string) string {
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	var b []byte
	space, newlines := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			newlines++
			space = false
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			space = true
		case c == 0xc2 && i+1 < len(s) && s[i+1] == 0xa0:
			space = true
			i++
		case c == 0:
		default:
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
			b = append(b, c)
		}
	}
	return string(b)
}

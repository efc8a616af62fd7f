package message

import (
	"strings"
	"testing"
)

// BenchmarkRenderEmail renders a personalised email (loops, filters,
// a locale) for one recipient, without the HTML to text conversion (which
// costs more than the Liquid render): the cost the render budget adds
// shows here.
func BenchmarkRenderEmail(b *testing.B) {
	m, _ := shopModel(b)
	row := `<tr><td>{{ p.product.name | upcase }}</td><td>{{ p.amount | money: "EUR" }}</td><td>{{ p.purchased_at | date: "%-d %B" }}</td></tr>` + "\n"
	tpl, err := Compile(m, "customers", ChannelEmail, Email{
		From:    `"Shop {{ profile.store.city }}" <shop@example.com>`,
		Subject: "{{ profile.first_name | default: 'Hello' }}, {{ vars.code }}",
		Text: "<h1>Hi {{ profile.first_name | capitalize }}</h1>" + strings.Repeat("<p>Some text of the newsletter, long enough to weigh like one.</p>\n", 150) +
			"<table>{% for p in profile.purchases | sort: 'purchased_at' %}" + row + "{% endfor %}</table>",
		Locale: "{{ profile.country | locale }}",
	}, Env{Vars: map[string]any{"code": "X"}})
	if err != nil {
		b.Fatal(err)
	}
	c := sampleCustomer()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.RenderEmail(c); err != nil {
			b.Fatal(err)
		}
	}
}

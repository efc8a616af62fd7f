package message

import (
	"testing"
)

var derivedTextSeeds = []string{
	`<h1>Hi {{ profile.first_name }}</h1><p>Since {{ profile.created_at | date: "long" }}</p>`,
	`<ul>{% for p in profile.purchases %}<li>{{ p.product.name }}: {{ p.amount | money: "EUR" }}</li>{% endfor %}</ul><p>Bye</p>`,
	`<p>Hi {% if profile.phone %}caller{% else %}there{% endif %}, &amp; welcome &lt;3</p>`,
	`<html><head><title>{{ profile.first_name }}</title></head><body><div>x {{ profile.country }}</div></body></html>`,
	`<table><tr><td>{{ profile.first_name }}</td><td>{{ profile.store.city }}</td></tr></table>`,
	`<table>{% for p in profile.purchases %}<tr><td>{{ p.amount }}</td></tr>{% endfor %}</table>`,
	`<div class="{% if profile.phone %}a{% endif %}">x</div>`,
	`<p>{% assign n = profile.purchases | size %}{{ n }} purchases</p>`,
	`<img src="https://cdn.example/{{ profile.customer_id }}.png" alt="Logo"><p>{{ profile.first_name | upcase }}</p>`,
	`<p>{{- profile.first_name -}}</p>{%- if true -%}<p>yes</p>{%- endif -%}`,
	`<p>a {{ "{{" }} b</p>`,
	`<pre>  {{ profile.first_name }}   x  </pre>`,
}

// TestDerivedText renders emails without a text body and checks the text
// derived from the HTML template against converting the rendered HTML, and
// which templates fall back to converting each message.
func TestDerivedText(t *testing.T) {
	m, _ := shopModel(t)
	tests := []struct {
		html    string
		derived bool
		want    string
	}{
		{html: derivedTextSeeds[0], derived: true, want: "Hi Ann\n\nSince October 1, 2026"},
		{html: derivedTextSeeds[1], derived: true, want: "- Trail shoes: €80.00\n- Cook book: €15.00\n- Trail shoes: €120.00\n- Cook book: €1,234.50\n\nBye"},
		{html: derivedTextSeeds[2], derived: true, want: "Hi there, & welcome <3"},
		{html: derivedTextSeeds[3], derived: true, want: "x FR"},                                             // an output in <head> may vanish
		{html: derivedTextSeeds[5], derived: false, want: "80\n15\n120\n1234.5"},                             // the parser moves a loop out of its table
		{html: derivedTextSeeds[6], derived: false, want: "x"},                                               // a tag in a dropped attribute
		{html: derivedTextSeeds[8], derived: true, want: "Logo\n\nANN"},                                      // an output in a dropped attribute is fine
		{html: derivedTextSeeds[9], derived: true, want: "Ann\n\nyes"},                                       // whitespace control does not join lines
		{html: `<p>Tom &amp;amp; Jerry {{ "&lt;b&gt;" }}</p>`, derived: true, want: "Tom &amp; Jerry <b>"},   // literal entities stay as written, values' are decoded
		{html: "{{ profile.first_name -}} 0", derived: true, want: "Ann0"},                                   // whitespace control trims the text beside a token
		{html: "<p>x \u00a0{{- profile.first_name }}</p>", derived: true, want: "xAnn"},                      // … every blank Liquid trims
		{html: "<p>a{% if profile.phone -%} x {%- else -%} y {%- endif %}b</p>", derived: true, want: "ayb"}, // … inside a branch
		{html: "{{ profile.first_name -}}{{ profile.country }}", derived: false, want: "AnnFR"},              // a trim that reaches a value
	}
	for _, tt := range tests {
		t.Run(tt.html, func(t *testing.T) {
			tpl, err := Compile(m, "customers", ChannelEmail, Email{From: "a@example.com", Subject: "s", HTML: tt.html}, Env{})
			if err != nil {
				t.Fatal(err)
			}
			if got := tpl.text == textDerived; got != tt.derived {
				t.Errorf("derived = %v, want %v", got, tt.derived)
			}
			e, err := tpl.RenderEmail(sampleCustomer())
			if err != nil {
				t.Fatal(err)
			}
			conv := HTMLToText(e.HTML)
			if e.Text != tt.want {
				t.Errorf("text %q, want %q (converted: %q)", e.Text, tt.want, conv)
			}
		})
	}
}

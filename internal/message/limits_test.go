package message

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/osteele/liquid"
)

// TestRenderLimits renders templates that would hold a send for minutes
// or take the process down, and checks that each fails its message with
// its reason, quickly.
func TestRenderLimits(t *testing.T) {
	m, _ := shopModel(t)
	// s2048 leaves s holding 2 048 "a"s.
	const s2048 = `{% assign s = "a" %}{% for i in (1..11) %}{% assign s = s | append: s %}{% endfor %}`
	tests := []struct {
		name, src, want string
	}{
		{"a huge range", "{% for i in (1..100000000) %}x{% endfor %}", "line 1: more than 10000 loop iterations"},
		{"nested loops", "{% for i in (1..100) %}\n{% for j in (1..101) %}{% endfor %}{% endfor %}", "line 1: more than 10000 loop iterations"}, // the library reports the outer loop's line
		{"a tablerow", "{% tablerow i in (1..20000) %}{{ i }}{% endtablerow %}", "more than 10000 loop iterations"},
		{"a long output", "{% for i in (1..2000) %}" + strings.Repeat("x", 600) + "{% endfor %}", "renders more than 1048576 bytes"},
		{"a doubled value", `{% assign s = "xxxxxxxxxx" %}{% for i in (1..30) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}`, "renders more than 1048576 bytes"},
		{"a chain of filters", `{{ '"' ` + strings.Repeat("| inspect ", 20) + `| size }}`, "renders more than 1048576 bytes"},
		{"a replace that multiplies", s2048 + `{{ s | replace: "a", s | size }}`, "renders more than 1048576 bytes"},
		{"a join that multiplies", s2048 + `{% assign l = s | split: "" %}{{ l | join: s | size }}`, "renders more than 1048576 bytes"},
		{"a range made a list", "{{ (1..100000000) | first }}", "makes a list of more than 65536 items"},
		{"a range joined", `{% assign r = (1..100000000) %}{{ r | join: "," | size }}`, "makes a list of more than 65536 items"},
		{"a doubled list", `{% assign l = "a,b" | split: "," %}{% for i in (1..20) %}{% assign l = l | concat: l %}{% endfor %}{{ l | size }}`, "makes a list of more than 65536 items"},
		{"a capture of a loop", `{% capture s %}{% for i in (1..9000) %}` + strings.Repeat("x", 200) + `{% endfor %}{% endcapture %}{{ s | size }}`, "capture s: renders more than 1048576 bytes"},
		{"a doubled capture", `{% capture s %}xxxxxxxxxx{% endcapture %}{% for i in (1..30) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{{ s | size }}`, "capture s: renders more than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Time is not what these cases spend, even on a loaded machine.
			env := Env{Budget: Budget{Time: time.Minute}}
			tpl, err := Compile(m, "customers", ChannelSMS, SMS{Text: "hi"}, env)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tpl.fields {
				if tpl.fields[i].name == "text" {
					tpl.fields[i].src = tt.src // past validation, which renders the sample (see below)
				}
			}
			_, err = tpl.RenderSMS(sampleCustomer())
			var re *RenderError
			if !errors.As(err, &re) || re.Field != "text" || !strings.Contains(re.Err.Error(), tt.want) {
				t.Fatalf("render: %v, want a RenderError of text: %s", err, tt.want)
			}
			// Validation renders a sample profile: the campaign is refused.
			if _, err := Compile(m, "customers", ChannelSMS, SMS{Text: tt.src}, env); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("compile: %v, want %s", err, tt.want)
			}
		})
	}
}

// TestRenderLimitsLeaveTemplatesAlone checks templates within the limits
// render exactly as the Liquid library renders them: the tags inserted
// change neither whitespace control, nor raw text, nor line numbers.
func TestRenderLimitsLeaveTemplatesAlone(t *testing.T) {
	lib := liquid.NewEngine()
	ours := newLiquidEngine(false, nil)
	for _, src := range []string{
		"{% for i in (1..9997) %}{% endfor %}{% for i in (1..3) %}{{ i }}{% endfor %}", // the budget, to the last iteration
		"{% for i in (1..3) -%}\n  {{ i }}\n{%- endfor %}",
		"a {{ 'x' -}} {% for i in (1..2) %} {{ i }} {% endfor %}",
		"{% capture x -%}  a  {%- endcapture -%}  [{{ x }}]",
		"{% capture x %}{% for i in (1..3) %}{{ i }},{% endfor %}{% endcapture %}{{ x }}{{ x | size }}",
		"{%- capture x-%} a {%-endcapture-%} [{{ x }}] {% capture y %}{% capture z %}z{% endcapture %}y{% endcapture %}{{ y }}{{ z }}",
		"{% raw %}{% for i in (1..3) %}{% capture y %}{% endraw %}",
		"{% comment %}{% for i in (1..3) %}{% endcomment %}ok",
		"{% for i in (1..4) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{% cycle 'a', 'b' %}{{ forloop.index }}{% else %}none{% endfor %}",
		"{% for i in (1..0) %}x{% else %}empty{% endfor %}",
		"{% tablerow i in (1..4) cols: 2 %}{{ i }}{% endtablerow %}",
		strings.Repeat("y", maxRenderBytes-10) + "{{ 'ab' | append: 'c' }}",
		`{{ "a,b" | split: "," | join: "-" | replace: "-", "+" | escape | url_encode }}`,
		// Every filter spends the budget, through a wrapper per signature.
		`{% assign d = "2027-03-28T02:30:00Z" | date: "%Y-%m-%d %H:%M" %}{{ d }} {{ d | size }} {{ "now" | date: "%Y" | size }}`,
		`{{ "ab" | upcase | capitalize | prepend: "x" | remove: "A" }} {{ 3 | plus: 4 | times: 2 | divided_by: 3 | modulo: 3 | abs }} {{ 2.5 | ceil }}{{ 2.5 | round }}`,
		`{{ nil | default: "d" }} {{ "abcdef" | truncate: 4 }} {{ "a b c" | truncatewords: 2 }} {{ "abc" | slice: 1, 2 }} {{ "a b" | split: " " | size }}`,
		`{{ (1..5) | join: "-" }} {{ (1..4) | reverse | first }} {% assign r = (1..3) %}{{ r | last }}{{ r | map: "x" | size }}{{ r | concat: r | size }}{{ nil | join: "," }}`,
		`{% assign l = "c,a,b,a" | split: "," %}{{ l | sort | uniq | reverse | join: "" }}{{ l | first }}{{ l | last }}{{ l | compact | size }}{{ l | concat: l | size }}{{ l | json }}{{ l | inspect }}`,
		`{{ "<p>a\nb</p>" | strip_html | newline_to_br | strip_newlines | escape_once | url_decode }} {{ " x " | strip | lstrip | rstrip }}{{ "x" | type }}`,
	} {
		want, lerr := lib.ParseAndRenderString(src, map[string]any{})
		if lerr != nil {
			t.Fatalf("%.60q: the library: %v", src, lerr)
		}
		tpl, err := parseSafely(ours, src)
		if err != nil {
			t.Fatalf("%.60q: %v", src, err)
		}
		got, err := renderSafely(tpl, map[string]any{})
		if err != nil || got != want {
			t.Errorf("%.60q: got %.80q (%v), the library %.80q", src, got, err, want)
		}
	}
	// A render without bindings still has its budget.
	tpl, _ := parseSafely(ours, "{% for i in (1..2) %}x{% endfor %}")
	if got, err := renderSafely(tpl, nil); got != "xx" || err != nil {
		t.Errorf("without bindings: %q, %v", got, err)
	}
	// An error keeps its line.
	for _, src := range []string{"a\n\n{{ 1 | divided_by: 0 }}", "a\n{% for i in (1..2) %}\n{{ i | divided_by: 0 }}{% endfor %}"} {
		libTpl, _ := lib.ParseTemplateLocation([]byte(src), "", 1)
		_, want := libTpl.Render(map[string]any{})
		tpl, _ := parseSafely(ours, src)
		if _, err := renderSafely(tpl, map[string]any{}); want == nil || lineOf(err) != want.LineNumber() {
			t.Errorf("%q: error %v on line %d, the library's %v", src, err, lineOf(err), want)
		}
	}
}

// TestCaptureErrorsNameCapture checks errors about a capture name
// Liquid's tag, not ours.
func TestCaptureErrorsNameCapture(t *testing.T) {
	m, _ := shopModel(t)
	_, err := Compile(m, "customers", ChannelSMS, SMS{Text: "{% capture x %}a"}, Env{})
	if err == nil || !strings.Contains(err.Error(), `"capture"`) || strings.Contains(err.Error(), captureTag) {
		t.Errorf("%v, want an error about an unclosed capture", err)
	}
}

// TestIncludeRefused checks a template cannot read a file of the server.
func TestIncludeRefused(t *testing.T) {
	m, _ := shopModel(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{`{% include "` + secret + `" %}`, `{% include "../../../../../../../../` + secret + `" %}`} {
		_, err := Compile(m, "customers", ChannelSMS, SMS{Text: src}, Env{})
		if err == nil || !strings.Contains(err.Error(), "the include tag is not supported") {
			t.Errorf("%s: %v, want the include tag refused", src, err)
		}
		if _, err := parseSafely(newEngine("en", false), src); err == nil {
			t.Errorf("%s: parsed", src)
		}
	}
}

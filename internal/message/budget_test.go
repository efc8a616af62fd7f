package message

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// assignDates is the template measured at 2.9 GB and 62 s at full size:
// n assigns, each holding a date formatted with a long format (each
// value within the per-value limit, their sum not).
func assignDates(n, formatRepeat int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{%% assign f = "%s" %%}`, strings.Repeat("%B", formatRepeat))
	for i := range n {
		fmt.Fprintf(&b, `{%% assign d%d = "2027-09-01" | date: f %%}`, i)
	}
	b.WriteString("{{ d0 | size }}")
	return b.String()
}

// TestRenderBudget renders templates whose values are each within the
// per-value limits but whose sum, or time, is not: each fails its message
// (and, over the sample profile, the campaign's validation) with the
// budget named.
func TestRenderBudget(t *testing.T) {
	m, _ := shopModel(t)
	small := Budget{Bytes: 64 << 10}
	const overBytes = "renders more than 65536 bytes in all (the render budget"
	tests := []struct {
		name   string
		budget Budget
		spec   any
		field  string
		want   string
	}{
		{"300 assigns of a long date", small, SMS{Text: assignDates(300, 1024)}, "text", overBytes},
		{"a date past the per-value limit", Budget{}, SMS{Text: assignDates(1, 300_000)}, "text", "renders more than 1048576 bytes"},
		{"fields together", small, Email{From: "a@example.com", Subject: "s", HTML: strings.Repeat("h", 40<<10), Text: strings.Repeat("t", 40<<10)}, "text", overBytes},
		// Reported once, by the field that spent the budget.
		{"fields after", small, Email{From: "a@example.com", Subject: "s", HTML: strings.Repeat("h", 70<<10), Text: "t", Headers: map[string]string{"X-A": "a"}}, "html", overBytes},
		{"captures", small, SMS{Text: `{% for i in (1..10) %}{% capture c %}` + strings.Repeat("c", 8<<10) + `{% endcapture %}{% endfor %}`}, "text", overBytes},
		{"filters whose results are dropped", small, SMS{Text: `{% assign s = "` + strings.Repeat("a", 1<<10) + `" %}{% for i in (1..100) %}{% assign n = s | append: s | size %}{% endfor %}`}, "text", overBytes},
		// 10 000 searches of a 1 MiB string: no byte made, seconds spent.
		{"time", Budget{Time: 20 * time.Millisecond}, SMS{Text: `{% assign s = "` + strings.Repeat("a", 1<<10) + `" %}{% for i in (1..10) %}{% assign s = s | append: s %}{% endfor %}{% for i in (1..9000) %}{% if s contains "b" %}{% endif %}{% endfor %}`}, "text", "takes more than 20ms to render (the render budget)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := ChannelSMS
			if _, ok := tt.spec.(Email); ok {
				ch = ChannelEmail
			}
			b := tt.budget
			if b.Time == 0 {
				b.Time = time.Minute // time is not what this case spends, even on a loaded machine
			}
			start := time.Now()
			_, err := Compile(m, "customers", ch, tt.spec, Env{Budget: b})
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Field != tt.field || !strings.Contains(ve.Problems[0].Message, tt.want) {
				t.Fatalf("compile: %v, want %s refused: %s", err, tt.field, tt.want)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("validation took %v", d)
			}
		})
	}
}

// TestRenderBudgetAtSend checks a recipient whose data makes the message
// exceed the budget fails that message only, with the budget named: the
// sample profile passed validation.
func TestRenderBudgetAtSend(t *testing.T) {
	m, _ := shopModel(t)
	tpl, err := Compile(m, "customers", ChannelEmail, Email{
		From: "a@example.com", Subject: "Hi {{ profile.first_name }}",
		HTML: "{% for p in profile.purchases %}<p>{{ p.product.name | append: ' ' | append: p.product.name }}</p>{% endfor %}",
	}, Env{Budget: Budget{Bytes: 4 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tpl.RenderEmail(sampleCustomer()); err != nil {
		t.Fatal(err)
	}
	c := sampleCustomer()
	p := c["profile"].(map[string]any)
	var many []any
	for range 200 {
		many = append(many, p["purchases"].([]any)[0])
	}
	p["purchases"] = many
	_, err = tpl.RenderEmail(c)
	var re *RenderError
	if !errors.As(err, &re) || re.Field != "html" || !strings.Contains(re.Error(), "renders more than 4096 bytes in all") {
		t.Fatalf("render: %v, want the html field over the budget", err)
	}
	// The budget is the message's: the next one has its own.
	if _, err := tpl.RenderEmail(sampleCustomer()); err != nil {
		t.Fatal(err)
	}
}

package message

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/datamodel"
)

// shopModel parses testdata/shop.yaml.
func shopModel(t testing.TB) (*datamodel.Model, []byte) {
	t.Helper()
	doc, err := os.ReadFile("testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := datamodel.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return m, doc
}

func TestCompileProblems(t *testing.T) {
	m, _ := shopModel(t)
	tests := []struct {
		name string
		spec Email
		env  Env
		want []Problem
	}{
		{
			name: "unknown attribute",
			spec: Email{From: "shop@example.com", Subject: "Hi {{ profile.frist_name }}", HTML: "x"},
			want: []Problem{{Field: "subject", Line: 1, Message: "line 1: undefined variable profile.frist_name"}},
		},
		{
			name: "unknown attribute in an untaken branch",
			spec: Email{From: "shop@example.com", Subject: "Hi", HTML: "<p>\n{% if profile.country == 'XX' %}{{ profile.store.town }}{% endif %}</p>"},
			want: []Problem{{Field: "html", Line: 2, Message: "line 2: undefined variable profile.store.town"}},
		},
		{
			name: "unknown link",
			spec: Email{From: "shop@example.com", Subject: "Hi", HTML: "{% for p in profile.orders %}{{ p.amount }}{% endfor %}"},
			want: []Problem{{Field: "html", Line: 1, Message: "line 1: undefined variable profile.orders"}},
		},
		{
			name: "unknown attribute of a loop row",
			spec: Email{From: "shop@example.com", Subject: "Hi", HTML: "{% for p in profile.purchases %}{{ p.product.colour }}{% endfor %}"},
			want: []Problem{{Field: "html", Line: 1, Message: "line 1: undefined variable p.product.colour"}},
		},
		{
			name: "attribute of a list",
			spec: Email{From: "shop@example.com", Subject: "{{ profile.purchases.amount }}", HTML: "x"},
			want: []Problem{{Field: "subject", Line: 1, Message: "line 1: undefined variable profile.purchases.amount: profile.purchases is a list (loop over it, or use first or last)"}},
		},
		{
			name: "unknown top-level name",
			spec: Email{From: "shop@example.com", Subject: "Hi {{ customer.first_name }}", HTML: "x"},
			want: []Problem{{Field: "subject", Line: 1, Message: "line 1: undefined variable customer"}},
		},
		{
			name: "syntax error",
			spec: Email{From: "shop@example.com", Subject: "Hi", HTML: "line one\n{% if profile.first_name %}open"},
			want: []Problem{{Field: "html", Line: 2, Message: `line 2: unterminated "if" block`}},
		},
		{
			name: "unknown filter",
			spec: Email{From: "shop@example.com", Subject: "{{ profile.first_name | shout }}", HTML: "x"},
			want: []Problem{{Field: "subject", Line: 1, Message: `line 1: undefined filter "shout"`}},
		},
		{
			name: "unknown variable and enrichment column",
			spec: Email{From: "shop@example.com", Subject: "{{ vars.code }} {{ target.score }}", HTML: "{{ vars.kode }}{{ target.scor }}"},
			env:  Env{Vars: map[string]any{"code": "SPRING"}, Target: []string{"score"}},
			want: []Problem{{Field: "html", Line: 1, Message: "line 1: undefined variable vars.kode"}, {Field: "html", Line: 1, Message: "line 1: undefined variable target.scor"}},
		},
		{
			name: "header problems and missing fields",
			spec: Email{From: "{{ profile.email }}", Headers: map[string]string{"Bad Name": "x", "Subject": "y", "X-Tag": "{{ profile.nope }}"}},
			want: []Problem{
				{Field: "headers.Bad Name", Message: "not a valid header name"},
				{Field: "headers.Subject", Message: "set by Fanfare; use the spec's own field"},
				{Field: "subject", Message: "required"},
				{Field: "html", Message: "an HTML or a text body is required"},
				{Field: "headers.X-Tag", Line: 1, Message: "line 1: undefined variable profile.nope"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(m, "customers", ChannelEmail, tt.spec, tt.env)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			if !reflect.DeepEqual(ve.Problems, tt.want) {
				t.Errorf("problems:\n got %+v\nwant %+v", ve.Problems, tt.want)
			}
		})
	}
}

func TestCompileAccepts(t *testing.T) {
	m, _ := shopModel(t)
	tests := []struct {
		name string
		spec Email
	}{
		{name: "data-dependent nil is not a mistake", spec: Email{From: "a@example.com", Subject: "{{ profile.purchases[5].amount }}", HTML: "x"}},
		{name: "forloop and assign", spec: Email{From: "a@example.com", Subject: "{% assign n = 3 %}{{ n }}", HTML: "{% for p in profile.purchases %}{{ forloop.index }}{% endfor %}"}},
		{name: "raw blocks are text", spec: Email{From: "a@example.com", Subject: "x", HTML: "{% raw %}{{ profile.nope }}{% endraw %}"}},
		{name: "run and campaign", spec: Email{From: "a@example.com", Subject: "{{ campaign.name }} {{ run.id }} {{ run.mode }}", HTML: "{{ profile.store.city }}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Compile(m, "customers", ChannelEmail, tt.spec, Env{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNeeds(t *testing.T) {
	m, _ := shopModel(t)
	tpl, err := Compile(m, "customers", ChannelEmail, Email{
		From:    "shop@example.com",
		Subject: "Hello from {{ profile.store.city }}",
		HTML:    "{% assign recent = profile.purchases | sort: 'purchased_at' | reverse %}{% for p in recent limit: 3 %}{{ p.product.name }}{% endfor %}",
	}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := Needs{ToOne: []string{"store"}, Many: []ManyNeed{{Link: "purchases", ToOne: []string{"product"}}}}
	if got := tpl.Needs(); !reflect.DeepEqual(got, want) {
		t.Errorf("needs = %+v, want %+v", got, want)
	}
}

// sampleCustomer is a hand-made context like the one Loader builds.
func sampleCustomer() Context {
	at := func(d int) time.Time { return time.Date(2026, 10, d, 10, 0, 0, 0, time.UTC) }
	shoes := map[string]any{"product_id": int64(1), "name": "Trail shoes", "price": 80.0}
	book := map[string]any{"product_id": int64(3), "name": "Cook book", "price": 15.0}
	p := func(id int64, prod map[string]any, amount float64, day int) map[string]any {
		return map[string]any{"purchase_id": id, "customer_id": int64(1), "product_id": prod["product_id"], "amount": amount, "purchased_at": at(day), "product": prod}
	}
	return Context{
		"profile": map[string]any{
			"customer_id": int64(1), "first_name": "Ann", "email": "ann@example.com", "phone": nil, "country": "FR", "store_id": int64(1),
			"created_at": at(1), "store": map[string]any{"store_id": int64(1), "city": "Lyon"},
			"purchases": []any{p(1, shoes, 80, 20), p(2, book, 15, 25), p(3, shoes, 120, 5), p(4, book, 1234.5, 28)},
		},
		"target": map[string]any{}, "vars": map[string]any{"code": "SPRING"}, "campaign": map[string]any{"name": "Spring"}, "run": map[string]any{"id": int64(9), "mode": "live"},
	}
}

func TestRenderEmail(t *testing.T) {
	m, _ := shopModel(t)
	tpl, err := Compile(m, "customers", ChannelEmail, Email{
		From:      `"Shop {{ profile.store.city }}" <shop@example.com>`,
		ReplyTo:   "care@example.com",
		Subject:   "{{ profile.first_name | default: 'Hello' }}, {{ vars.code }}",
		Preheader: "Since {{ profile.created_at | date: 'long' }}",
		HTML: `<h1>Hi {{ profile.first_name }}</h1><p>Your last purchases:</p><ul>
{%- for p in profile.purchases | sort: "purchased_at" | reverse limit: 3 %}
<li>{{ p.product.name }}: {{ p.amount | money: "EUR" }} on {{ p.purchased_at | date: "%-d %B" }}</li>
{%- endfor %}</ul><p>Call {{ profile.phone | default: "us" }}. <a href="https://shop.example/{{ profile.customer_id }}">Your account</a></p>`,
		Headers: map[string]string{"X-Campaign": "{{ campaign.name }}"},
		Locale:  "{{ profile.country | locale }}",
	}, Env{Vars: map[string]any{"code": "X"}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := tpl.RenderEmail(sampleCustomer())
	if err != nil {
		t.Fatal(err)
	}
	if e.From != `"Shop Lyon" <shop@example.com>` || e.Subject != "Ann, SPRING" || e.Preheader != "Since 1 octobre 2026" || e.Headers["X-Campaign"] != "Spring" {
		t.Errorf("rendered %+v", e)
	}
	wantHTML := `<h1>Hi Ann</h1><p>Your last purchases:</p><ul>
<li>Cook book: 1 234,50 € on 28 octobre</li>
<li>Cook book: 15,00 € on 25 octobre</li>
<li>Trail shoes: 80,00 € on 20 octobre</li></ul><p>Call us. <a href="https://shop.example/1">Your account</a></p>`
	if e.HTML != wantHTML {
		t.Errorf("html:\n%s\nwant\n%s", e.HTML, wantHTML)
	}
	wantText := "Hi Ann\n\nYour last purchases:\n\n- Cook book: 1 234,50 € on 28 octobre\n- Cook book: 15,00 € on 25 octobre\n- Trail shoes: 80,00 € on 20 octobre\n\nCall us. Your account (https://shop.example/1)"
	if e.Text != wantText {
		t.Errorf("text:\n%q\nwant\n%q", e.Text, wantText)
	}
}

func TestRenderFallbacks(t *testing.T) {
	m, _ := shopModel(t)
	tpl, err := Compile(m, "customers", ChannelSMS, SMS{Text: "Hi {{ profile.first_name | default: 'there' }} from {{ profile.store.city | default: 'us' }}, {{ profile.phone }}!"}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	c := sampleCustomer()
	p := c["profile"].(map[string]any)
	p["first_name"], p["store"] = nil, nil
	s, err := tpl.RenderSMS(c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Text != "Hi there from us, !" {
		t.Errorf("text = %q", s.Text)
	}
}

func TestRenderRefusesLineBreaksInHeaders(t *testing.T) {
	m, _ := shopModel(t)
	tests := []struct {
		name  string
		spec  Email
		field string
	}{
		{name: "from", spec: Email{From: "{{ profile.first_name }} <a@example.com>", Subject: "x", Text: "x"}, field: "from"},
		{name: "reply-to", spec: Email{From: "a@example.com", ReplyTo: "{{ profile.first_name }}", Subject: "x", Text: "x"}, field: "reply_to"},
		{name: "header", spec: Email{From: "a@example.com", Subject: "x", Text: "x", Headers: map[string]string{"X-Name": "{{ profile.first_name }}"}}, field: "headers.X-Name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Compile(m, "customers", ChannelEmail, tt.spec, Env{})
			if err != nil {
				t.Fatal(err)
			}
			c := sampleCustomer()
			c["profile"].(map[string]any)["first_name"] = "Ann\r\nBcc: everyone@example.com"
			_, err = tpl.RenderEmail(c)
			var re *RenderError
			if !errors.As(err, &re) || re.Field != tt.field || !errors.Is(err, ErrHeaderInjection) {
				t.Fatalf("err = %v, want a header injection on %s", err, tt.field)
			}
			// The next recipient renders.
			if _, err := tpl.RenderEmail(sampleCustomer()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRenderErrorFailsOneMessage(t *testing.T) {
	m, _ := shopModel(t)
	tpl, err := Compile(m, "customers", ChannelSMS, SMS{Text: "Spent {{ profile.first_name | money: 'EUR' }}"}, Env{})
	if err == nil {
		t.Fatal("money of a name should not validate")
	}
	tpl, err = Compile(m, "customers", ChannelSMS, SMS{Text: "Joined {{ profile.country | date }}"}, Env{})
	if err == nil {
		t.Fatal("a date of a country should not validate")
	}
	tpl, err = Compile(m, "customers", ChannelSMS, SMS{Text: "Last {{ profile.purchases.first.amount | money }}"}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	c := sampleCustomer()
	c["profile"].(map[string]any)["purchases"] = []any{map[string]any{"amount": "lots"}}
	_, err = tpl.RenderSMS(c)
	var re *RenderError
	if !errors.As(err, &re) || re.Field != "text" || !strings.Contains(err.Error(), "not a number") {
		t.Fatalf("err = %v, want a render error on text", err)
	}
}

func TestRenderPush(t *testing.T) {
	m, _ := shopModel(t)
	badge := 2
	tpl, err := Compile(m, "customers", ChannelPush, Push{
		Title: "{{ profile.first_name }}", Body: "{{ profile.purchases.size }} purchases", DeepLink: "shop://c/{{ profile.customer_id }}",
		Data: map[string]string{"store": "{{ profile.store.city }}"},
		IOS:  &IOSOptions{Badge: &badge, Sound: "default", Category: "promo"}, Android: &AndroidOptions{Channel: "offers", Priority: "high"},
	}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := tpl.RenderPush(sampleCustomer())
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Ann" || p.Body != "4 purchases" || p.DeepLink != "shop://c/1" || p.Data["store"] != "Lyon" || *p.Badge != 2 || p.Sound != "default" || p.Category != "promo" || p.AndroidChannel != "offers" || p.Priority != "high" {
		t.Errorf("push = %+v", p)
	}
}

func TestSMSSegmentsAtValidation(t *testing.T) {
	m, _ := shopModel(t)
	tpl, err := Compile(m, "customers", ChannelSMS, SMS{Text: "Hi {{ profile.first_name }}, -20% with code {{ vars.code }} 🎉"}, Env{Vars: map[string]any{"code": "SPRING"}})
	if err != nil {
		t.Fatal(err)
	}
	// Sample: "Hi First name, -20% with code SPRING 🎉" (39 UTF-16 units: the emoji counts two).
	if enc, seg, n := tpl.SMSSegments(); enc != UCS2 || seg != 1 || n != 39 {
		t.Errorf("SMSSegments = %s %d %d", enc, seg, n)
	}
}

func TestCompileJSONSpec(t *testing.T) {
	m, _ := shopModel(t)
	_, err := Compile(m, "customers", ChannelSMS, []byte(`{"text": "Hi", "txet": "x"}`), Env{})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Field != "content" {
		t.Fatalf("err = %v", err)
	}
	if _, err := Compile(m, "customers", ChannelSMS, []byte(`{"text": "Hi {{ profile.first_name }}"}`), Env{}); err != nil {
		t.Fatal(err)
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct{ name, html, want string }{
		{name: "paragraphs", html: "<p>One</p><p>Two</p>", want: "One\n\nTwo"},
		{name: "link", html: `Visit <a href="https://x.example/a">our shop</a>.`, want: "Visit our shop (https://x.example/a)."},
		{name: "bare link", html: `<a href="https://x.example">https://x.example</a>`, want: "https://x.example"},
		{name: "breaks and blanks", html: "a<br>b   \n  c", want: "a\nb c"},
		{name: "head, style and script dropped", html: "<html><head><title>T</title><style>p{}</style></head><body><script>x()</script><div>Hi</div></body></html>", want: "Hi"},
		{name: "list", html: "<ul><li>x</li><li>y</li></ul>", want: "- x\n- y"},
		{name: "image alt", html: `<img src="a.png" alt="Logo"> Shop`, want: "Logo Shop"},
		{name: "accents kept", html: "<p>à bientôt</p>", want: "à bientôt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTMLToText(tt.html); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCompileHugeNumber: the Liquid library panics lexing an integer that
// overflows int64; Compile reports it instead of crashing the server.
func TestCompileHugeNumber(t *testing.T) {
	m, _ := shopModel(t)
	_, err := Compile(m, "customers", ChannelSMS, SMS{Text: "{{ 100000000000000000000000000000000 }}"}, Env{})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Field != "text" {
		t.Fatalf("err = %v", err)
	}
}

package message

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

var shopData = map[string]string{
	"stores": "store_id,city\n1,Lyon\n2,Berlin\n",
	"customers": `customer_id,first_name,email,phone,country,store_id,created_at
1,Ann,ann@example.com,+33600000001,FR,1,2024-01-01T00:00:00Z
2,Bob,bob@example.com,+49100000002,DE,2,2024-02-01T00:00:00Z
3,,cy@example.com,,GB,,2024-03-01T00:00:00Z
4,Dee,dee@example.com,,FR,1,2024-04-01T00:00:00Z
`,
	"products": "product_id,name,price\n1,Trail shoes,80.00\n2,Rain coat,120.00\n3,Cook book,15.00\n",
	"purchases": `purchase_id,customer_id,product_id,amount,purchased_at
1,1,1,80.00,2026-10-20T10:00:00Z
2,1,3,15.00,2026-10-25T10:00:00Z
3,1,2,120.00,2026-10-05T10:00:00Z
4,1,3,1234.50,2026-10-28T10:00:00Z
5,2,2,120.00,2026-09-01T10:00:00Z
6,4,1,80.00,2026-08-01T10:00:00Z
`,
}

// setupShop applies the shop model to s and loads its data.
func setupShop(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	m, doc := shopModel(t)
	if _, err := schema.Apply(ctx, s, doc, schema.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, e := range m.LoadOrder() {
		if _, err := ingest.Import(ctx, s, m, e.Name, e.Name+".csv", strings.NewReader(shopData[e.Name]), ingest.Options{Format: ingest.FormatCSV}); err != nil {
			t.Fatalf("load %s: %v", e.Name, err)
		}
	}
}

func TestLoader(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		setupShop(t, s)
		m, _ := shopModel(t)
		env := Env{Campaign: "Autumn", RunID: 7, Mode: "live", Vars: map[string]any{"code": "FALL"}, Target: []string{"score"}}
		tpl, err := Compile(m, "customers", ChannelEmail, Email{
			From:    "shop@example.com",
			Subject: "{{ profile.first_name | default: 'Hello' }} ({{ target.score }})",
			HTML: `{{ profile.store.city | default: "online" }}:
{%- for p in profile.purchases %} {{ p.product.name }} {{ p.amount | money: "EUR" }}{% endfor %} {{ vars.code }} {{ campaign.name }} {{ run.id }}`,
			Locale: "{{ profile.country | locale }}",
		}, env)
		if err != nil {
			t.Fatal(err)
		}
		needs := tpl.Needs()
		if !needs.SetOrder("purchases", "purchased_at desc", 3) {
			t.Fatal("purchases not among the needs")
		}
		l := NewLoader(s, m, "customers", needs).WithEnv(env)
		keys := [][]any{{1}, {int64(2)}, {3}, {99}}
		target := []map[string]any{{"score": 0.9}, {"score": 0.5}, {"score": 0.1}, {"score": 0.0}}
		ctxs, err := l.Load(context.Background(), keys, target)
		if err != nil {
			t.Fatal(err)
		}
		if l.queries != 2 {
			t.Errorf("%d queries, want 2 (profiles, purchases)", l.queries)
		}
		if len(ctxs) != 3 {
			t.Fatalf("%d contexts, want 3 (99 does not exist)", len(ctxs))
		}
		want := map[string][2]string{
			"1": {"Ann (0.9)", "Lyon: Cook book 1 234,50 € Cook book 15,00 € Trail shoes 80,00 € FALL Autumn 7"},
			"2": {"Bob (0.5)", "Berlin: Rain coat 120,00 € FALL Autumn 7"},
			"3": {"Hello (0.1)", "online: FALL Autumn 7"},
		}
		for id, w := range want {
			c, ok := ctxs[KeyString([]any{id})]
			if !ok {
				t.Fatalf("no context for %s", id)
			}
			e, err := tpl.RenderEmail(c)
			if err != nil {
				t.Fatal(err)
			}
			if e.Subject != w[0] || e.HTML != w[1] {
				t.Errorf("customer %s: %q / %q, want %q / %q", id, e.Subject, e.HTML, w[0], w[1])
			}
		}
		p := ctxs[KeyString([]any{1})]["profile"].(map[string]any)
		if got := len(p["purchases"].([]any)); got != 3 {
			t.Errorf("%d purchases loaded, want the limit of 3", got)
		}
		if _, ok := ctxs[KeyString([]any{3})]["profile"].(map[string]any)["store"].(map[string]any); ok {
			t.Error("customer 3 has no store; its store should be nil")
		}
		// Keys as the outbox gives them (int64 each) are bound as one list;
		// the mixed keys above went through an IN list: same contexts.
		listed, err := NewLoader(s, m, "customers", needs).WithEnv(env).Load(context.Background(), [][]any{{int64(1)}, {int64(2)}, {int64(3)}, {int64(99)}}, target)
		if err != nil {
			t.Fatal(err)
		}
		if len(listed) != 3 {
			t.Fatalf("%d contexts from int64 keys, want 3", len(listed))
		}
		for k, c := range ctxs {
			e1, _ := tpl.RenderEmail(c)
			e2, _ := tpl.RenderEmail(listed[k])
			if e1.Subject != e2.Subject || e1.HTML != e2.HTML {
				t.Errorf("customer %s from int64 keys: %q / %q, want %q / %q", k, e2.Subject, e2.HTML, e1.Subject, e1.HTML)
			}
		}
	})
}

func TestLoaderDefaultOrderAndNoNeeds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		setupShop(t, s)
		m, _ := shopModel(t)
		l := NewLoader(s, m, "customers", Needs{Many: []ManyNeed{{Link: "purchases"}}})
		ctxs, err := l.Load(context.Background(), [][]any{{1}, {4}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows := ctxs[KeyString([]any{1})]["profile"].(map[string]any)["purchases"].([]any)
		var ids []int64
		for _, r := range rows {
			ids = append(ids, r.(map[string]any)["purchase_id"].(int64))
		}
		if len(ids) != 4 || ids[0] != 4 || ids[3] != 1 {
			t.Errorf("purchase ids %v, want 4 3 2 1 (key descending)", ids)
		}
		if a := rows[0].(map[string]any)["amount"]; a != 1234.5 {
			t.Errorf("amount = %#v, want float64 1234.5", a)
		}
		l = NewLoader(s, m, "customers", Needs{})
		if _, err := l.Load(context.Background(), [][]any{{1}}, nil); err != nil || l.queries != 1 {
			t.Errorf("err %v, %d queries; want one query", err, l.queries)
		}
	})
}

func TestPreview(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		setupShop(t, s)
		m, _ := shopModel(t)
		ctx := context.Background()
		spec := SMS{Text: "{{ profile.first_name }}: {{ vars.code }}, last buy {{ profile.purchases.first.product.name }} on {{ profile.purchases.first.purchased_at | date: 'long' }}", Locale: "{{ profile.country | locale }}"}
		got, err := Preview(ctx, s, m, "customers", ChannelSMS, spec, []any{1}, map[string]any{"code": "FALL"})
		if err != nil {
			t.Fatal(err)
		}
		sms, ok := got.(*channel.SMSContent)
		if !ok || sms.Text != "Ann: FALL, last buy Cook book on 28 octobre 2026" {
			t.Errorf("preview = %#v", got)
		}
		if _, err := Preview(ctx, s, m, "customers", ChannelSMS, spec, []any{42}, nil); err == nil {
			t.Error("preview of a missing profile (and an unknown var) should fail")
		}
		if _, err := Preview(ctx, s, m, "customers", ChannelSMS, spec, []any{42}, map[string]any{"code": "X"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("err = %v, want not found", err)
		}
	})
}

package datamodel

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func mustParseFile(t *testing.T, name string) *Model {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return m
}

func TestParseRetail(t *testing.T) {
	m := mustParseFile(t, "retail.yaml")
	var names []string
	for _, e := range m.Entities {
		names = append(names, e.Name)
	}
	if got := strings.Join(names, ","); got != "customers,products,stores,purchases,loyalty_subscriptions,devices" {
		t.Fatalf("entity order = %s", got)
	}
	c := m.Entity("customers")
	if c.Attributes[0].Name != "customer_id" || c.Attributes[len(c.Attributes)-1].Name != "home_store_id" {
		t.Errorf("attribute order not kept: %v", c.Attributes)
	}
	if a := c.Attribute("balance"); a.Precision != 12 || a.Scale != 2 || a.Type != TypeDecimal {
		t.Errorf("balance = %+v", a)
	}
	if a := m.Entity("products").Attribute("price"); a.Precision != 10 || a.Scale != 2 {
		t.Errorf("short decimal form = %+v", a)
	}
	store := m.Entity("purchases").Link("store")
	if !reflect.DeepEqual(store.Columns, []string{"store_id"}) || store.Kind != ManyToOne {
		t.Errorf("default columns/kind: %v", store)
	}
	rev := c.Link("purchases")
	want := &Link{Name: "purchases", Entity: "purchases", Kind: OneToMany, Columns: []string{"customer_id"}, ReverseName: "customer", Inverse: true}
	if !reflect.DeepEqual(rev, want) {
		t.Errorf("reverse link = %+v, want %+v", rev, want)
	}
	if l := c.Link("loyalty_subscription"); l == nil || l.Kind != OneToOne || !l.Inverse {
		t.Errorf("one-to-one reverse = %+v", l)
	}
	if m.Reverse(c, rev) != m.Entity("purchases").Link("customer") {
		t.Errorf("Reverse does not find the declaration")
	}
	if !c.IsRequired("customer_id") || !c.IsRequired("created_at") || c.IsRequired("email") {
		t.Errorf("IsRequired wrong")
	}
	if err := m.Validate(); err != nil {
		t.Errorf("Validate on a parsed model: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"retail.yaml", "small.json"} {
		t.Run(name, func(t *testing.T) {
			m := mustParseFile(t, name)
			doc := Document(m)
			back, err := Parse(doc)
			if err != nil {
				t.Fatalf("Parse(Document(m)): %v\n%s", err, doc)
			}
			if !reflect.DeepEqual(m, back) {
				t.Fatalf("round trip differs\n%s", doc)
			}
			if again := Document(back); string(again) != string(doc) {
				t.Fatalf("Document is not stable:\n%s\n---\n%s", doc, again)
			}
		})
	}
}

func TestJSONKeepsCompositeKey(t *testing.T) {
	m := mustParseFile(t, "small.json")
	if got := m.Entity("accounts").Key; !reflect.DeepEqual(got, []string{"region", "account_no"}) {
		t.Fatalf("key = %v", got)
	}
	l := m.Entity("orders").Link("account")
	if !reflect.DeepEqual(l.Columns, []string{"region", "account_no"}) {
		t.Fatalf("default columns = %v", l.Columns)
	}
	if d := m.Entity("accounts").Attribute("email").Description; d != "Contact \"address\"\nsecond line" {
		t.Fatalf("description = %q", d)
	}
}

func TestInvalidListsEveryProblem(t *testing.T) {
	doc, _ := os.ReadFile("testdata/invalid_many.yaml")
	_, err := Parse(doc)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
	want := []string{
		"line 4: entities.customers.atributes: unknown field",
		"entities.customers.attributes: at least one attribute is required",
		"line 7: entities.orders.key: unknown attribute \"missing\"",
		"line 9: entities.orders.attributes.order_id.type: unknown type \"strng\" (valid: string, integer, decimal, boolean, date, timestamp, enum, json)",
		"line 11: entities.orders.attributes.amount.precision: precision 40",
		"line 12: entities.orders.attributes.select: name \"select\" is reserved",
		"line 14: entities.orders.links.customer.entity: unknown entity \"clients\"",
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
}

func TestSyntaxErrorHasLine(t *testing.T) {
	doc, _ := os.ReadFile("testdata/invalid_syntax.yaml")
	_, err := Parse(doc)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 {
		t.Fatalf("err = %v", err)
	}
	if p := ve.Problems[0]; p.Line < 4 || !strings.Contains(p.Message, "syntax error") {
		t.Fatalf("problem = %+v", p)
	}
}

func TestValidateGoModel(t *testing.T) {
	m := &Model{Entities: []*Entity{{
		Name:       "people",
		Key:        []string{"id"},
		Attributes: []*Attribute{{Name: "id", Type: TypeInteger}, {Name: "doc", Type: TypeJSON}},
		Links:      []*Link{{Name: "self", Entity: "people", Columns: []string{"doc"}, ReverseName: "children"}},
	}}}
	err := m.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 {
		t.Fatalf("Validate = %v", err)
	}
	p := ve.Problems[0]
	if p.Path != "entities.people.links.self.columns" || p.Line != 0 || !strings.Contains(p.Message, "key types must match") {
		t.Fatalf("problem = %+v", p)
	}
	m.Entities[0].Links[0].Columns = []string{"id"}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	m.Resolve()
	if l := m.Entities[0].Link("children"); l == nil || !l.Inverse || l.Kind != OneToMany {
		t.Fatalf("Resolve: %+v", m.Entities[0].Links)
	}
	m.Resolve() // idempotent
	if len(m.Entities[0].Links) != 2 {
		t.Fatalf("Resolve twice: %d links", len(m.Entities[0].Links))
	}
}

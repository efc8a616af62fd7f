package datamodel

import (
	"errors"
	"strings"
	"testing"
)

// base is a valid model; cases replace one of its lines to break it. Line
// numbers below refer to this text.
const base = `entities:
  customers:
    key: customer_id
    attributes:
      customer_id: integer
      email: string
      phone: string
      tier: {type: enum, values: [a, b]}
      balance: {type: decimal, precision: 12, scale: 2}
    targeting:
      email: email
      sms: phone
      push: {link: devices, token: push_token, platform: platform}
  devices:
    key: device_id
    attributes:
      device_id: string
      customer_id: integer
      push_token: string
      platform: string
    links:
      customer: {entity: customers, reverse: devices}
`

// edit replaces line n (1-based) of base with repl (which may hold several
// lines, or be empty to delete the line).
func edit(n int, repl string) string {
	lines := strings.Split(base, "\n")
	var out []string
	out = append(out, lines[:n-1]...)
	if repl != "" {
		out = append(out, strings.Split(repl, "\n")...)
	}
	out = append(out, lines[n:]...)
	return strings.Join(out, "\n")
}

func TestBaseIsValid(t *testing.T) {
	if _, err := Parse([]byte(base)); err != nil {
		t.Fatal(err)
	}
}

// orders targets push through its own many-to-one link, which is wrong.
const orders = `  orders:
    key: id
    attributes: {id: integer, customer_id: integer, email: string}
    links: {customer: {entity: customers, reverse: orders}}
    targeting: {push: {link: customer, token: email}}
`

func TestValidationProblems(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		path string
		line int
		msg  string
	}{
		{"unknown type", edit(6, "      email: strng"), "entities.customers.attributes.email.type", 6, `unknown type "strng" (valid: string, integer,`},
		{"unknown type object form", edit(6, "      email: {type: strng}"), "entities.customers.attributes.email.type", 6, "unknown type"},
		{"missing type", edit(6, "      email: {required: true}"), "entities.customers.attributes.email.type", 6, "a type is required"},
		{"enum without values", edit(8, "      tier: {type: enum}"), "entities.customers.attributes.tier.values", 8, "non-empty list"},
		{"enum duplicate values", edit(8, "      tier: {type: enum, values: [a, b, a]}"), "entities.customers.attributes.tier.values", 8, `duplicate value "a"`},
		{"values on string", edit(7, "      phone: {type: string, values: [x]}"), "entities.customers.attributes.phone.values", 7, "only to enum"},
		{"precision too big", edit(9, "      balance: {type: decimal, precision: 39, scale: 2}"), "entities.customers.attributes.balance.precision", 9, "out of range 1..38"},
		{"precision zero", edit(9, "      balance: {type: decimal, precision: 0}"), "entities.customers.attributes.balance.precision", 9, "out of range"},
		{"scale above precision", edit(9, "      balance:\n        type: decimal\n        precision: 4\n        scale: 5"), "entities.customers.attributes.balance.scale", 12, "scale 5 is out of range 0..4"},
		{"short decimal too big", edit(9, "      balance: decimal(40,2)"), "entities.customers.attributes.balance.precision", 9, "precision 40"},
		{"short decimal bad scale", edit(9, "      balance: decimal(5,6)"), "entities.customers.attributes.balance.scale", 9, "scale 6"},
		{"precision on integer", edit(5, "      customer_id: {type: integer, precision: 3}"), "entities.customers.attributes.customer_id.precision", 5, "only to decimal"},
		{"precision not a number", edit(9, "      balance: {type: decimal, precision: big}"), "entities.customers.attributes.balance.precision", 9, "expected a small integer"},
		{"required not bool", edit(7, "      phone: {type: string, required: maybe}"), "entities.customers.attributes.phone.required", 7, "true or false"},
		{"key missing", edit(3, ""), "entities.customers.key", 2, "a key is required"},
		{"key unknown attribute", edit(3, "    key: id"), "entities.customers.key", 3, `unknown attribute "id"`},
		{"key list unknown attribute", edit(3, "    key: [customer_id, nope]"), "entities.customers.key", 3, `unknown attribute "nope"`},
		{"key json", edit(17, "      device_id: json"), "entities.devices.key", 15, "type json"},
		{"key twice", edit(3, "    key: [customer_id, customer_id]"), "entities.customers.key", 3, "appears twice"},
		{"link to missing entity", edit(22, "      customer: {entity: clients, reverse: devices}"), "entities.devices.links.customer.entity", 22, `unknown entity "clients"`},
		{"link without entity", edit(22, "      customer: {reverse: devices}"), "entities.devices.links.customer.entity", 22, "required"},
		{"link column missing", edit(22, "      customer: {entity: customers, columns: [cust], reverse: devices}"), "entities.devices.links.customer.columns", 22, `unknown attribute "cust"`},
		{"default link column missing", edit(18, "      cust_id: integer"), "entities.devices.links.customer.columns", 22, `unknown attribute "customer_id"`},
		{"link column count", edit(22, "      customer: {entity: customers, columns: [customer_id, device_id], reverse: devices}"), "entities.devices.links.customer.columns", 22, "2 columns for the 1-attribute key"},
		{"link key type mismatch", edit(18, "      customer_id: string"), "entities.devices.links.customer.columns", 22, "key types must match"},
		{"link bad kind", edit(22, "      customer: {entity: customers, kind: one_to_many, reverse: devices}"), "entities.devices.links.customer.kind", 22, "unknown kind"},
		{"reverse missing", edit(22, "      customer: {entity: customers}"), "entities.devices.links.customer.reverse", 22, "reverse name is required"},
		{"reverse clashes with attribute", edit(22, "      customer: {entity: customers, reverse: email}"), "entities.devices.links.customer.reverse", 22, "clashes with attribute customers.email"},
		{"reverse not identifier", edit(22, "      customer: {entity: customers, reverse: My-Devices}"), "entities.devices.links.customer.reverse", 22, "not an identifier"},
		{"link clashes with attribute", edit(22, "      platform: {entity: customers, reverse: devices}"), "entities.devices.links.platform", 22, "share one namespace"},
		{"duplicate entity", edit(14, "  customers:\n    key: x\n    attributes: {x: string}\n  devices:"), "entities.customers", 14, `duplicate name "customers" (first at line 2)`},
		{"duplicate attribute", edit(7, "      email: string"), "entities.customers.attributes.email", 7, `duplicate name "email" (first at line 6)`},
		{"duplicate field", edit(4, "    key: customer_id\n    attributes:"), "entities.customers.key", 4, "duplicate name"},
		{"duplicate link", edit(22, "      customer: {entity: customers, reverse: devices}\n      customer: {entity: customers, reverse: phones}"), "entities.devices.links.customer", 23, "duplicate name"},
		{"name not identifier", edit(7, "      Phone: string"), "entities.customers.attributes.Phone", 7, "not an identifier"},
		{"name too long", edit(7, "      "+strings.Repeat("p", 64)+": string"), "entities.customers.attributes." + strings.Repeat("p", 64), 7, "longer than 63"},
		{"name leading underscore", edit(7, "      _phone: string"), "entities.customers.attributes._phone", 7, "reserved"},
		{"entity ff_ prefix", edit(14, "  ff_devices:"), "entities.ff_devices", 14, "reserved"},
		{"sql keyword entity", edit(14, "  user:"), "entities.user", 14, "SQL keyword"},
		{"sql keyword attribute", edit(7, "      order: string"), "entities.customers.attributes.order", 7, "SQL keyword"},
		{"unknown field in entity", edit(4, "    atributes:"), "entities.customers.atributes", 4, `unknown field "atributes"`},
		{"unknown field at top", "entities:\n  a: {key: x, attributes: {x: string}}\nentites: {}\n", "entites", 3, "unknown field"},
		{"unknown field in attribute", edit(7, "      phone: {type: string, requird: true}"), "entities.customers.attributes.phone.requird", 7, "unknown field"},
		{"unknown field in link", edit(22, "      customer: {entity: customers, reverse: devices, cascade: true}"), "entities.devices.links.customer.cascade", 22, "unknown field"},
		{"unknown field in push", edit(13, "      push: {link: devices, token: push_token, sound: ding}"), "entities.customers.targeting.push.sound", 13, "unknown field"},
		{"email missing attribute", edit(11, "      email: mail"), "entities.customers.targeting.email", 11, `unknown attribute "mail"`},
		{"email not string", edit(11, "      email: balance"), "entities.customers.targeting.email", 11, "must be a string"},
		{"sms missing attribute", edit(12, "      sms: mobile"), "entities.customers.targeting.sms", 12, `unknown attribute "mobile"`},
		{"empty targeting", edit(11, "      email:\n      sms:\n      push:"), "entities.customers.targeting.push.link", 13, "link is required"},
		{"targeting without channel", strings.Replace(base, "    targeting:\n      email: email\n      sms: phone\n      push: {link: devices, token: push_token, platform: platform}\n", "    targeting: {}\n", 1), "entities.customers.targeting", 10, "names no channel"},
		{"push link missing", edit(13, "      push: {link: phones, token: push_token}"), "entities.customers.targeting.push.link", 13, `unknown link "phones"`},
		{"push link not one-to-many", edit(22, "      customer: {entity: customers, kind: one_to_one, reverse: devices}"), "entities.customers.targeting.push.link", 13, "one-to-one"},
		{"push link is many-to-one", base + orders, "entities.orders.targeting.push.link", 27, "push needs a one-to-many reverse link"},
		{"push token missing", edit(13, "      push: {link: devices, token: token}"), "entities.customers.targeting.push.token", 13, `unknown attribute "token" of devices`},
		{"push token not string", edit(19, "      push_token: integer"), "entities.customers.targeting.push.token", 13, "must be a string"},
		{"push platform missing", edit(20, "      os: string"), "entities.customers.targeting.push.platform", 13, `unknown attribute "platform" of devices`},
		{"entity not a mapping", edit(14, "  devices: 12\n  other:"), "entities.devices", 14, "expected a mapping"},
		{"no entities", "entities: {}\n", "entities", 1, "at least one entity"},
		{"attributes missing", "entities:\n  a:\n    key: x\n", "entities.a.attributes", 2, "at least one attribute"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %v, want *ValidationError", err)
			}
			for _, p := range ve.Problems {
				if p.Path == tc.path && p.Line == tc.line && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Fatalf("no problem at %s line %d containing %q; got:\n%v", tc.path, tc.line, tc.msg, err)
		})
	}
}

func TestErrorMessageFormat(t *testing.T) {
	_, err := Parse([]byte(edit(6, "      email: strng")))
	want := `line 6: entities.customers.attributes.email.type: unknown type "strng" (valid: string, integer, decimal, boolean, date, timestamp, enum, json)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Error() = %v\nwant it to contain %s", err, want)
	}
}

package campaign

import (
	"strings"
	"testing"
)

// head is the start of every test campaign: lines 1–6.
const head = `name: t
dimension: customers
variables: {discount: 15, country: "FR"}
activities:
  start: {type: start}
  all: {type: build_audience, query: all}
`

func TestValidateProblems(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		activity string
		path     string
		line     int
		message  string
	}{
		{"load_file absolute path", head + "  f: {type: load_file, path: /etc/passwd, columns: {a: string}}\n  e: {type: end}\ntransitions: [start -> f, f -> e]\n",
			"f", "activities.f.path", 7, `path "/etc/passwd": give a path inside the server's files directory`},
		{"load_file path out of the files directory", head + "  f: {type: load_file, path: ../secret.csv, columns: {a: string}}\n  e: {type: end}\ntransitions: [start -> f, f -> e]\n",
			"f", "activities.f.path", 7, `(no leading /, no ..)`},
		{"unknown type", head + "  x: {type: teleport}\ntransitions: [start -> all, all -> x]\n",
			"x", "activities.x.type", 7, `unknown activity type "teleport"`},
		{"missing type", head + "  x: {label: X}\ntransitions: [start -> all, all -> x]\n",
			"x", "activities.x", 7, "needs a type"},
		{"bad id", head + "  2x: {type: end}\ntransitions: [start -> all, all -> 2x]\n",
			"2x", "activities.2x", 7, `activity id "2x"`},
		{"duplicate id", head + "  all: {type: end}\ntransitions: [start -> all]\n",
			"all", "activities.all", 7, "duplicate activity id \"all\" (first at line 6)"},
		{"unknown setting", head + "  x: {type: end, colour: red}\ntransitions: [start -> all, all -> x]\n",
			"x", "activities.x.colour", 7, `unknown setting "colour"`},
		{"setting of the wrong kind", head + "  x: {type: split, subsets: [{name: a, where: all}, {name: b, where: [1]}]}\n  e: {type: end}\ntransitions: [start -> all, all -> x, x.a -> e, x.b -> e]\n",
			"x", "activities.x.subsets[1].where", 7, "expected a string, found a list"},
		{"transition from unknown activity", head + "  e: {type: end}\ntransitions: [start -> all, all -> e, ghost -> e]\n",
			"", "transitions[2]", 8, `unknown activity "ghost"`},
		{"transition to unknown activity", head + "  e: {type: end}\ntransitions:\n  - start -> all\n  - all -> e\n  - all -> ghost\n",
			"", "transitions[2]", 11, `unknown activity "ghost"`},
		{"unknown output port", head + "  e: {type: end}\ntransitions: [start -> all, all.rejects -> e]\n",
			"all", "transitions[1]", 8, `has no output "rejects" (outputs: out)`},
		{"output of end", head + "  e: {type: end}\n  f: {type: end}\ntransitions: [start -> all, all -> e, e -> f]\n",
			"e", "transitions[2]", 9, "an end activity has no outputs"},
		{"entry receives a transition", head + "  e: {type: end}\ntransitions: [start -> all, all -> e, all -> start]\n",
			"start", "transitions[2]", 8, "start is an entry activity"},
		{"cycle", head + "  w: {type: wait, duration: 1d}\n  f: {type: fork}\n  e: {type: end}\ntransitions:\n  - start -> all\n  - all -> w\n  - w -> f\n  - f -> w\n  - f -> e\n",
			"w", "transitions[3]", 14, "cycle: w -> f -> w"},
		{"too few inputs", head + "  c: {type: combine, mode: union}\n  e: {type: end}\ntransitions: [start -> all, all -> c, c -> e]\n",
			"c", "activities.c", 7, "at least 2 inputs, found 1"},
		{"too many inputs", head + "  b: {type: build_audience, query: all}\n  s: {type: save_audience, audience: x}\n  e: {type: end}\ntransitions: [start -> all, start -> b, all -> s, b -> s, s -> e]\n",
			"s", "activities.s", 8, "save_audience takes 1 input, found 2"},
		{"no input", head + "  e: {type: end}\n  lost: {type: wait, duration: 1d}\ntransitions: [start -> all, all -> e, lost -> e]\n",
			"lost", "activities.lost", 8, "no transition leads to lost"},
		{"unconnected out", head + "  e: {type: end}\ntransitions: [start -> all]\n",
			"all", "activities.all", 6, "output all.out leads nowhere"},
		{"unconnected complement", head + "  b: {type: build_audience, query: all}\n  c: {type: combine, mode: exclusion, primary: all, complement: true}\n  e: {type: end}\ntransitions: [start -> all, start -> b, all -> c, b -> c, c -> e]\n",
			"c", "activities.c", 8, "output c.complement leads nowhere"},
		{"unconnected subset", head + "  s: {type: split, subsets: [{name: a, limit: 10}, {name: b}], remainder: true}\n  e: {type: end}\ntransitions: [start -> all, all -> s, s.a -> e, s.remainder -> e]\n",
			"s", "activities.s", 7, "output s.b leads nowhere"},
		{"unconnected remainder", head + "  s: {type: split, subsets: [{name: a, limit: 10}], remainder: true}\n  e: {type: end}\ntransitions: [start -> all, all -> s, s.a -> e]\n",
			"s", "activities.s", 7, "output s.remainder leads nowhere"},
		{"unconnected branch", head + "  x: {type: test, branches: [{name: big, if: count > 10}]}\n  e: {type: end}\ntransitions: [start -> all, all -> x, x.default -> e]\n",
			"x", "activities.x", 7, "output x.big leads nowhere"},
		{"no entry", "name: t\nactivities:\n  e: {type: end}\n",
			"", "activities", 2, "no entry activity"},
		{"unknown campaign dimension", strings.Replace(head, "dimension: customers", "dimension: clients", 1) + "  e: {type: end}\ntransitions: [start -> all, all -> e]\n",
			"", "dimension", 2, `unknown dimension "clients"`},
		{"campaign dimension not targeting", strings.Replace(head, "dimension: customers", "dimension: products", 1) + "  e: {type: end}\ntransitions: [start -> all, all -> e]\n",
			"", "dimension", 2, "products is not a targeting dimension"},
		{"unknown activity dimension", head + "  b: {type: build_audience, dimension: shops, query: all}\n  e: {type: end}\ntransitions: [start -> all, start -> b, all -> e, b -> e]\n",
			"b", "activities.b.dimension", 7, `unknown dimension "shops"`},
		{"no dimension", "name: t\nactivities:\n  start: {type: start}\n  b: {type: build_audience, query: all}\n  e: {type: end}\ntransitions: [start -> b, b -> e]\n",
			"b", "activities.b", 4, "no dimension"},
		{"channel without targeting", head + "  e: {type: end}\n  p: {type: build_audience, dimension: products, query: all}\n  m: {type: email}\ntransitions: [start -> all, all -> e, start -> p, p -> m]\n",
			"m", "activities.m", 9, "products cannot receive email"},
		{"combined dimensions differ", head + "  p: {type: build_audience, dimension: products, query: all}\n  c: {type: combine, mode: union}\n  e: {type: end}\ntransitions: [start -> all, start -> p, all -> c, p -> c, c -> e]\n",
			"c", "activities.c", 8, "combine joins sets of different dimensions: all (customers), p (products)"},
		{"joined dimensions differ", head + "  p: {type: build_audience, dimension: products, query: all}\n  j: {type: and_join}\n  e: {type: end}\ntransitions: [start -> all, start -> p, all -> j, p -> j, j -> e]\n",
			"j", "activities.j", 8, "and_join joins sets of different dimensions"},
		{"change_dimension through one-to-many", head + "  c: {type: change_dimension, link: purchases}\n  e: {type: end}\ntransitions: [start -> all, all -> c, c -> e]\n",
			"c", "activities.c.link", 7, "customers.purchases is one-to-many"},
		{"change_dimension to an unknown link", head + "  c: {type: change_dimension, link: shop}\n  e: {type: end}\ntransitions: [start -> all, all -> c, c -> e]\n",
			"c", "activities.c.link", 7, `customers has no link "shop"`},
		{"population without rows", head + "  x: {type: enrich, columns: [{name: c, attribute: country}]}\n  e: {type: end}\ntransitions: [start -> all, all -> e, start -> x, x -> e]\n",
			"x", "activities.x", 7, "its input start carries none"},
		{"query text unknown attribute", head + "  b: {type: build_audience, query: 'country = \"FR\" and colour = \"red\"'}\n  e: {type: end}\ntransitions: [start -> all, start -> b, all -> e, b -> e]\n",
			"b", "activities.b.query", 7, `and[1]: attribute "colour": customers has no attribute "colour"`},
		{"query text syntax", head + "  b: {type: build_audience, query: 'country = '}\n  e: {type: end}\ntransitions: [start -> all, start -> b, all -> e, b -> e]\n",
			"b", "activities.b.query", 7, "cannot read the query"},
		{"query tree unknown attribute", head + "  b:\n    type: build_audience\n    where:\n      and:\n        - {attr: country, op: '=', value: FR}\n        - {attr: colour, op: '=', value: red}\n  e: {type: end}\ntransitions: [start -> all, start -> b, all -> e, b -> e]\n",
			"b", "activities.b.where.and[1]", 12, `customers has no attribute "colour"`},
		{"query and where", head + "  b: {type: build_audience, query: all, where: {and: []}}\n  e: {type: end}\ntransitions: [start -> all, start -> b, all -> e, b -> e]\n",
			"b", "activities.b.where", 7, "give query or where, not both"},
		{"query parameter not a variable", head + "  b: {type: build_audience, query: 'country = $land'}\n  e: {type: end}\ntransitions: [start -> all, start -> b, all -> e, b -> e]\n",
			"b", "activities.b.query", 7, "$land is not a campaign variable"},
		{"query parameter of the wrong type", head + "  b: {type: build_audience, query: 'country = $discount'}\n  e: {type: end}\ntransitions: [start -> all, start -> b, all -> e, b -> e]\n",
			"b", "activities.b.query", 7, "want a string"},
		{"split subset where", head + "  s:\n    type: split\n    subsets:\n      - {name: a, where: 'country = \"FR\"'}\n      - {name: b, where: 'size > 2'}\n  e: {type: end}\ntransitions: [start -> all, all -> s, s.a -> e, s.b -> e]\n",
			"s", "activities.s.subsets[1].where", 11, `customers has no attribute "size"`},
		{"split limit percentage", head + "  s: {type: split, subsets: [{name: a, limit: 150%}]}\n  e: {type: end}\ntransitions: [start -> all, all -> s, s.a -> e]\n",
			"s", "activities.s.subsets[0].limit", 7, "a percentage is more than 0 and at most 100"},
		{"split limit count", head + "  s: {type: split, subsets: [{name: a, limit: -3}]}\n  e: {type: end}\ntransitions: [start -> all, all -> s, s.a -> e]\n",
			"s", "activities.s.subsets[0].limit", 7, "want a count of rows"},
		{"split order attribute", head + "  s: {type: split, subsets: [{name: a, limit: 5, order: size desc}]}\n  e: {type: end}\ntransitions: [start -> all, all -> s, s.a -> e]\n",
			"s", "activities.s.subsets[0].order", 7, `customers has no attribute "size"`},
		{"split subset named remainder", head + "  s: {type: split, subsets: [{name: remainder, limit: 5}]}\n  e: {type: end}\ntransitions: [start -> all, all -> s, s.remainder -> e]\n",
			"s", "activities.s.subsets[0].name", 7, "choose another name"},
		{"enrich attribute path", head + "  x: {type: enrich, columns: [{name: a, attribute: country}, {name: b, attribute: purchases.amount}]}\n  e: {type: end}\ntransitions: [start -> all, all -> x, x -> e]\n",
			"x", "activities.x.columns[1].attribute", 7, "customers.purchases is one-to-many"},
		{"enrich aggregate where", head + "  x: {type: enrich, columns: [{name: a, link: purchases, aggregate: sum, attribute: amount, where: 'colour = 1'}]}\n  e: {type: end}\ntransitions: [start -> all, all -> x, x -> e]\n",
			"x", "activities.x.columns[0].where", 7, `purchases has no attribute "colour"`},
		{"enrich aggregate type", head + "  x: {type: enrich, columns: [{name: a, link: purchases, aggregate: sum, attribute: purchased_at}]}\n  e: {type: end}\ntransitions: [start -> all, all -> x, x -> e]\n",
			"x", "activities.x.columns[0].attribute", 7, "sum does not apply to purchased_at"},
		{"enrich first attributes", head + "  x: {type: enrich, columns: [{name: a, link: purchases, first: 3, order_by: purchased_at desc, attributes: [amount, product.colour]}]}\n  e: {type: end}\ntransitions: [start -> all, all -> x, x -> e]\n",
			"x", "activities.x.columns[0].attributes[1]", 7, `products has no attribute "colour"`},
		{"deduplicate fields", head + "  x: {type: deduplicate, fields: [email, phone]}\n  e: {type: end}\ntransitions: [start -> all, all -> x, x -> e]\n",
			"x", "activities.x.fields[1]", 7, `customers has no attribute "phone"`},
		{"deduplicate by", head + "  x: {type: deduplicate, fields: [email], method: highest}\n  e: {type: end}\ntransitions: [start -> all, all -> x, x -> e]\n",
			"x", "activities.x.by", 7, "give it as by"},
		{"bad cron", strings.Replace(head, "activities:", "schedule: {cron: '61 * * * *'}\nactivities:", 1) + "  e: {type: end}\ntransitions: [start -> all, all -> e]\n",
			"", "schedule.cron", 4, "61"},
		{"cron with 6 fields", head + "  e: {type: end}\n  s: {type: scheduler, cron: '0 0 9 * * 1'}\ntransitions: [start -> all, all -> e, s -> e]\n",
			"s", "activities.s.cron", 8, "want 5 fields"},
		{"unknown time zone", strings.Replace(head, "activities:", "schedule: {cron: '0 9 * * 1', timezone: Mars/Olympus}\nactivities:", 1) + "  e: {type: end}\ntransitions: [start -> all, all -> e]\n",
			"", "schedule.timezone", 4, `unknown time zone "Mars/Olympus"`},
		{"from after until", strings.Replace(head, "activities:", "schedule:\n  cron: '0 9 * * 1'\n  from: 2026-06-01T00:00:00Z\n  until: 2026-05-01T00:00:00Z\nactivities:", 1) + "  e: {type: end}\ntransitions: [start -> all, all -> e]\n",
			"", "schedule.until", 7, "is before from"},
		{"policy on_error", strings.Replace(head, "activities:", "policy: {on_error: retry}\nactivities:", 1) + "  e: {type: end}\ntransitions: [start -> all, all -> e]\n",
			"", "policy.on_error", 4, "want abort or wait"},
		{"policy retries", strings.Replace(head, "activities:", "policy: {retries: -1}\nactivities:", 1) + "  e: {type: end}\ntransitions: [start -> all, all -> e]\n",
			"", "policy.retries", 4, "out of range"},
		{"test condition syntax", head + "  x: {type: test, branches: [{name: big, if: 'count >> 3'}]}\n  e: {type: end}\ntransitions: [start -> all, all -> x, x.big -> e]\n",
			"x", "activities.x.branches[0].if", 7, "column"},
		{"test condition unknown variable", head + "  x: {type: test, branches: [{name: big, if: 'count > 3 and vars.rebate > 1'}]}\n  e: {type: end}\ntransitions: [start -> all, all -> x, x.big -> e]\n",
			"x", "activities.x.branches[0].if", 7, "vars.rebate: rebate is not a campaign variable"},
		{"test condition undeclared parameter", head + "  x: {type: test, branches: [{name: big, if: 'params.size > 1'}]}\n  e: {type: end}\ntransitions: [start -> all, all -> x, x.big -> e]\n",
			"x", "activities.x.branches[0].if", 7, "no signal activity declares parameter size"},
		{"end signal campaign", head + "  e: {type: end, signal: {campaign: '', params: {a: 1}}}\ntransitions: [start -> all, all -> e]\n",
			"e", "activities.e.signal.campaign", 7, "signal names no campaign"},
		{"unknown saved audience", head + "  r: {type: read_audience, audience: ghosts}\n  e: {type: end}\ntransitions: [start -> all, start -> r, all -> e, r -> e]\n",
			"r", "activities.r.audience", 7, `unknown audience "ghosts"`},
		{"save_audience name", head + "  s: {type: save_audience, audience: 'a b'}\n  e: {type: end}\ntransitions: [start -> all, all -> s, s -> e]\n",
			"s", "activities.s.audience", 7, `audience name "a b"`},
		{"wait without duration", head + "  w: {type: wait}\n  e: {type: end}\ntransitions: [start -> all, all -> w, w -> e]\n",
			"w", "activities.w", 7, "give duration"},
		{"wait duration", head + "  w: {type: wait, duration: 3 days}\n  e: {type: end}\ntransitions: [start -> all, all -> w, w -> e]\n",
			"w", "activities.w.duration", 7, "duration"},
		{"exclusion without primary", head + "  b: {type: build_audience, query: all}\n  c: {type: combine, mode: exclusion}\n  e: {type: end}\ntransitions: [start -> all, start -> b, all -> c, b -> c, c -> e]\n",
			"c", "activities.c.primary", 8, "name it"},
		{"primary not an input", head + "  b: {type: build_audience, query: all}\n  c: {type: combine, mode: exclusion, primary: start}\n  e: {type: end}\ntransitions: [start -> all, start -> b, all -> c, b -> c, c -> e]\n",
			"c", "activities.c.primary", 8, `"start" is not an input of c`},
		{"duplicate transition", head + "  e: {type: end}\ntransitions: [start -> all, all -> e, all -> e]\n",
			"all", "transitions[2]", 8, "duplicate transition all -> e"},
		{"bad name", strings.Replace(head, "name: t", "name: 'spring sale'", 1) + "  e: {type: end}\ntransitions: [start -> all, all -> e]\n",
			"", "name", 1, `name "spring sale"`},
	}
	m := setupModel(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			ps := problemsOf(t, Validate(d, m, savedAudiences))
			for _, p := range ps {
				if p.Activity == tt.activity && p.Path == tt.path && p.Line == tt.line && strings.Contains(p.Message, tt.message) {
					return
				}
			}
			t.Errorf("want {activity %q, path %q, line %d, message ~%q}; got:", tt.activity, tt.path, tt.line, tt.message)
			for _, p := range ps {
				t.Errorf("  %+v", p)
			}
		})
	}
}

package service_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/message"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaCorpus are valid campaigns that use every activity type, beside
// the documented example (docs/campaigns.md) and the content examples of
// docs/delivery.md.
var schemaCorpus = []string{
	`name: weekly
dimension: customers
activities:
  every_monday: {type: scheduler, cron: "0 9 * * 1", timezone: Europe/Paris, from: 2026-01-01T00:00:00Z}
  french: {type: build_audience, query: 'country = "FR"', skip_empty: true}
  pause: {type: wait, duration: 2h}
  big: {type: test, branches: [{name: many, if: 'count >= 10'}]}
  tell: {type: end, signal: {campaign: follow-up, params: {wave: 1}}}
  quiet: {type: end}
transitions: [every_monday -> french, french -> pause, pause -> big, big.many -> tell, big.default -> quiet]
layout:
  every_monday: {x: 0, y: 0}
  french: {x: 220, y: 0}
`,
	`name: new-buyers
dimension: customers
activities:
  api: {type: signal, params: [source]}
  fresh: {type: incremental_query, dimension: purchases, query: 'amount > 10', since: purchased_at}
  buyers: {type: change_dimension, link: customer}
  saved: {type: read_audience, audience: vip}
  split: {type: fork}
  both: {type: and_join, primary: buyers}
  keep: {type: save_audience, audience: new_buyers, mode: append}
  done: {type: end}
transitions: [api -> split, split -> fresh, split -> saved, fresh -> buyers, buyers -> both, saved -> both, both -> keep, keep -> done]
`,
	`name: file
dimension: customers
activities:
  go: {type: start}
  file: {type: load_file, path: lists/vip.csv, format: csv, columns: {email: string, since: date}}
  match: {type: reconcile, match: [{column: email, attribute: email}]}
  a: {type: build_audience, where: {"attr": "country", "op": "=", "value": "FR"}}
  all: {type: combine, mode: exclusion, primary: match, complement: true}
  one: {type: deduplicate, fields: [last_name], keep: 1, method: non_empty, by: [email, phone]}
  more: {type: enrich, columns: [{name: spent, link: purchases, aggregate: sum, attribute: amount, where: 'purchased_at within last 365d'}, {name: last, link: purchases, first: 2, order_by: purchased_at desc, attributes: [amount]}]}
  groups: {type: split, remainder: true, subsets: [{name: a, limit: 10%, order: random}, {name: b, limit: 100, where: 'country = "DE"'}]}
  text: {type: sms, text: 'Hi {{ profile.first_name }}', rate: 50}
  note: {type: push, title: Hi, body: There, ios: {badge: 1}, android: {priority: high}}
  mail: {type: email, category: transactional, from: 'a@example.com', subject: S, html: '<p>x</p>', window: {from: '09:00', to: '20:00', timezone: Europe/Paris}}
transitions: [go -> file, go -> a, file -> match, match -> all, a -> all, all -> one, one -> more, more -> groups, groups.a -> text, groups.b -> note, groups.remainder -> mail]
`,
}

// TestActivityTypesDescribeTheSettings: the published settings schemas
// (GET /api/activity-types, and the document's, GET /api/campaign-schema)
// accept every activity of valid campaigns covering every type, as the
// settings' decoding does; and they refuse what it refuses — a key the
// type does not take, a value of the wrong kind, a word outside an enum.
func TestActivityTypesDescribeTheSettings(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		types := got(im.svc.ActivityTypes(im.ctx)).must(t)
		if names := typeNames(types); !slices.Equal(names, campaign.TypeNames()) {
			t.Fatalf("types = %v, want every type of the registry %v", names, campaign.TypeNames())
		}
		schemas := map[string]*jsonschema.Schema{}
		for _, at := range types {
			schemas[at.Type] = compileSchema(t, at.Type, at.Settings)
			want := campaign.Types[at.Type]
			if at.MinInputs != want.MinInputs || at.MaxInputs != want.MaxInputs || !slices.Equal(at.Outputs, nonNil(want.Outputs)) || at.Entry != want.Entry || at.DynamicOutputs != want.Dynamic {
				t.Errorf("%s: %+v, want the registry's %+v", at.Type, at, want)
			}
		}
		document := compileSchema(t, "document", got(im.svc.CampaignSchema(im.ctx)).must(t))

		seen := map[string]bool{}
		for i, doc := range append(slices.Clone(schemaCorpus), documentedCampaigns(t)...) {
			d, err := campaign.Parse([]byte(doc))
			if err != nil {
				t.Fatalf("corpus %d: %v", i, err)
			}
			for _, a := range d.Activities {
				seen[a.Type] = true
				if err := decodeSettings(a); err != nil {
					t.Fatalf("corpus %d, %s: the settings do not decode: %v", i, a.ID, err)
				}
				if err := schemas[a.Type].Validate(jsonValue(t, a.Settings)); err != nil {
					t.Errorf("corpus %d, %s (%s): the schema refuses settings that decode: %v", i, a.ID, a.Type, err)
				}
			}
			if err := document.Validate(yamlValue(t, doc)); err != nil {
				t.Errorf("corpus %d: the document schema refuses a valid document: %v", i, err)
			}
		}
		if missing := slices.DeleteFunc(campaign.TypeNames(), func(n string) bool { return seen[n] }); len(missing) > 0 {
			t.Errorf("no campaign of the corpus uses %v: add one", missing)
		}

		// What validation refuses (decoding, or the checks of enums and
		// forms), the schema refuses.
		for _, bad := range []struct{ typ, settings string }{
			{"combine", `{"mode": "merge"}`},
			{"combine", `{"mode": "union", "colour": 1}`},
			{"split", `{"subsets": [{"name": "a", "limit": "ten"}]}`},
			{"deduplicate", `{"fields": "email"}`},
			{"wait", `{"duration": 2}`},
			{"email", `{"from": "a@example.com", "subject": "s", "attachments": []}`},
			{"sms", `{"text": "t", "category": "promo"}`},
			{"start", `{"at": "2026-01-01T00:00:00Z"}`},
			{"save_audience", `{"audience": "x", "mode": "merge"}`},
		} {
			var v map[string]any
			dec := json.NewDecoder(strings.NewReader(bad.settings))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			if schemas[bad.typ].Validate(jsonValue(t, v)) == nil {
				t.Errorf("%s %s: the schema accepts it", bad.typ, bad.settings)
			}
		}
	})
}

func typeNames(types []service.ActivityType) []string {
	var out []string
	for _, t := range types {
		out = append(out, t.Type)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// decodeSettings decodes an activity's settings as validation and
// delivery do: into its type's settings struct, a channel's content into
// its message struct, unknown keys refused.
func decodeSettings(a *campaign.Activity) error {
	if !campaign.Types[a.Type].Channel {
		_, err := a.TypedSettings()
		return err
	}
	content := map[string]any{"email": &message.Email{}, "sms": &message.SMS{}, "push": &message.Push{}}[a.Type]
	raw, err := json.Marshal(campaign.ChannelContent(a))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(content)
}

func compileSchema(t *testing.T, name string, raw json.RawMessage) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	url := "mem://" + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: the schema does not compile: %v\n%s", name, err, raw)
	}
	return s
}

// jsonValue turns v into what the schema validator reads (numbers as
// json.Number).
func jsonValue(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// yamlValue reads a YAML document as JSON values.
func yamlValue(t *testing.T, doc string) any {
	t.Helper()
	var v any
	if err := yaml.UnmarshalWithOptions([]byte(doc), &v, yaml.UseJSONUnmarshaler()); err != nil {
		t.Fatal(err)
	}
	return jsonValue(t, normalizeYAML(v))
}

// normalizeYAML gives YAML's times back as the RFC 3339 strings they were.
func normalizeYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Collect(maps.Keys(x)) {
			x[k] = normalizeYAML(x[k])
		}
	case []any:
		for i := range x {
			x[i] = normalizeYAML(x[i])
		}
	case fmt.Stringer:
		return x.String()
	}
	return v
}

// documentedCampaigns are the campaign examples of the docs: the one of
// docs/campaigns.md, and each channel activity of docs/delivery.md in a
// campaign of its own.
func documentedCampaigns(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, f := range []string{"../../docs/campaigns.md", "../../docs/delivery.md"} {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		blocks := strings.Split(string(raw), "```yaml\n")[1:]
		for _, b := range blocks {
			b, _, _ = strings.Cut(b, "```")
			if strings.HasPrefix(b, "name:") {
				out = append(out, b)
				continue
			}
			indented := "  " + strings.ReplaceAll(strings.TrimRight(b, "\n"), "\n", "\n  ")
			out = append(out, "name: doc\nactivities:\n  go: {type: start}\n"+indented+"\ntransitions: []\n")
		}
	}
	return out
}

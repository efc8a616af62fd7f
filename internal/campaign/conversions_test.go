package campaign

import (
	"reflect"
	"strings"
	"testing"
)

// TestConversions: report.conversions read, check against the data model
// and format back; each wrong one is named by its path.
func TestConversions(t *testing.T) {
	const ok = "report:\n  conversions:\n    - {name: bought, query: 'exists(purchases where purchased_at between $sent_at and $window_end)', within: 7d}\n" +
		"    - {name: later, query: 'exists(purchases where purchased_at > $sent_at and amount > $discount)'}\n"
	doc := strings.Replace(head, "activities:\n", ok+"activities:\n", 1) + "  e: {type: end}\ntransitions: [start -> all, all -> e]\n"
	d, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Conversions) != 2 || d.Conversions[0].Within.String() != "7d" || d.Conversions[1].Name != "later" {
		t.Fatalf("conversions: %+v", d.Conversions)
	}
	if err := Validate(d, setupModel(t), savedAudiences); err != nil {
		t.Fatalf("valid conversions: %v", err)
	}
	back, err := Parse(Format(d))
	if err != nil || !reflect.DeepEqual(back.Conversions, d.Conversions) {
		t.Fatalf("formatted and read back: %+v, %v\n%s", back, err, Format(d))
	}

	const bad = "report:\n  conversions:\n" +
		"    - {name: 'no good', query: 'purchases_count > 1'}\n" +
		"    - {name: a, query: 'exists(purchases where purchased_at < $window_end)'}\n" +
		"    - {name: a, query: 'exists(purchases where purchased_at > $when)'}\n" +
		"    - {name: b, query: 'exists(purchases where purchased_at > $sent_at)', within: 8d}\n" +
		"    - {name: c, query: 'nonesuch > $sent_at'}\n"
	d, err = Parse([]byte(strings.Replace(head, "activities:\n", bad+"activities:\n", 1) + "  e: {type: end}\ntransitions: [start -> all, all -> e]\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range problemsOf(t, Validate(d, setupModel(t), savedAudiences)) {
		got[p.Path] += p.Message + ";"
	}
	for path, want := range map[string]string{
		"report.conversions[0].name":   "a name is a letter",
		"report.conversions[1].query":  "$window_end needs a window",
		"report.conversions[2].name":   `"a" is defined twice`,
		"report.conversions[2].query":  "$when is neither a campaign variable",
		"report.conversions[3].within": "longer than policy.retention",
		"report.conversions[4].query":  "nonesuch",
	} {
		if !strings.Contains(got[path], want) {
			t.Errorf("%s: %q, want %q", path, got[path], want)
		}
	}
	if _, err := Parse([]byte(strings.Replace(head, "activities:\n", "report:\n  conversions:\n    - {name: x, query: q, colour: red}\nactivities:\n", 1))); err == nil || !strings.Contains(err.Error(), `unknown key "colour"`) {
		t.Errorf("an unknown key: %v", err)
	}
}

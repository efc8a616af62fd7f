package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCampaignValidateRenderBudget: validation renders the sample profile
// within the configured render budget, so content whose values add up past
// it is refused with its activity and field, before any send.
// Serial: the default render budget is a time (1s), which parallel tests
// under -race on two cores can exceed.
func TestCampaignValidateRenderBudget(t *testing.T) {
	// 300 assigns of a date with a long format: each value small, about
	// 2 MB together (the measured case, at a small scale).
	var html strings.Builder
	fmt.Fprintf(&html, `{%% assign f = "%s" %%}`, strings.Repeat("%B", 1024))
	for i := range 300 {
		fmt.Fprintf(&html, `{%% assign d%d = "2027-09-01" | date: f %%}`, i)
	}
	doc := strings.Replace(proofCampaign, `html: '<p>Code {{ vars.code }}</p>'`, "html: '"+html.String()+"'", 1)
	eachStoreCLI(t, func(t *testing.T, dir string, cli func(args ...string) (int, string, string)) {
		cli("model", "apply", "testdata/model.yaml")
		file := filepath.Join(dir, "dates.yaml")
		if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errs := cli("--render-max-bytes", "64KiB", "campaign", "validate", file)
		if code == 0 || !strings.Contains(errs, "activities.mail.html") || !strings.Contains(errs, "renders more than 65536 bytes in all (the render budget") {
			t.Fatalf("validate within 64KiB: %d %q %s", code, out, errs)
		}
		if code, out, errs := cli("campaign", "validate", file); code != 0 {
			t.Fatalf("validate within the default budget: %d %q %s", code, out, errs)
		}
		if code, _, errs := cli("--render-max-bytes", "lots", "campaign", "validate", file); code == 0 || !strings.Contains(errs, `"lots" is not a size`) {
			t.Fatalf("a wrong size: %d %s", code, errs)
		}
	})
}

// TestCampaignRefusesBadContent: a From that is not an address and an
// unclosed "{{" were accepted by validate and publish, and failed every
// message at send time or were sent as written.
func TestCampaignRefusesBadContent(t *testing.T) {
	t.Parallel()
	eachStoreCLI(t, func(t *testing.T, dir string, cli func(args ...string) (int, string, string)) {
		cli("model", "apply", "testdata/model.yaml")
		for _, tt := range []struct{ name, from, to, want string }{
			{"from", "from: 'Shop <shop@example.com>'", "from: 'not an address'", `activities.mail.from: "not an address": invalid address: mail: no angle-addr`},
			{"unterminated", "subject: 'For you, {{ profile.tier }}'", "subject: |-\n      For you,\n      {{ profile.tier ", `activities.mail.subject: line 2: "{{" is not closed by "}}"`},
		} {
			file := filepath.Join(dir, tt.name+".yaml")
			doc := strings.Replace(strings.Replace(proofCampaign, tt.from, tt.to, 1), "name: gold", "name: "+tt.name, 1)
			if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, out, errs := cli("campaign", "validate", file); code == 0 || !strings.Contains(errs, tt.want) {
				t.Fatalf("%s: validate: %d %q %s", tt.name, code, out, errs)
			}
			if code, _, errs := cli("campaign", "save", file); code != 0 {
				t.Fatalf("%s: save: %s", tt.name, errs)
			}
			if code, out, errs := cli("campaign", "publish", tt.name); code == 0 || !strings.Contains(errs, tt.want) {
				t.Fatalf("%s: publish: %d %q %s", tt.name, code, out, errs)
			}
		}
	})
}

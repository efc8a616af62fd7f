package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const proofCampaign = `name: gold
dimension: customers
variables: {code: GOLD}
activities:
  start: {type: start}
  gold: {type: build_audience, query: 'tier = "gold"'}
  mail:
    type: email
    from: 'Shop <shop@example.com>'
    subject: 'For you, {{ profile.tier }}'
    html: '<p>Code {{ vars.code }}</p>'
transitions:
  - start -> gold
  - gold -> mail
`

func TestPreviewMessageAndProofCommands(t *testing.T) {
	eachStoreCLI(t, func(t *testing.T, dir string, cli func(args ...string) (int, string, string)) {
		cli("model", "apply", "testdata/model.yaml")
		cli("import", "customers", "testdata/customers.csv")
		doc := filepath.Join(dir, "gold.yaml")
		if err := os.WriteFile(doc, []byte(proofCampaign), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, _, errs := cli("campaign", "save", doc); code != 0 {
			t.Fatalf("save: %s", errs)
		}
		code, out, errs := cli("campaign", "preview-message", "gold", "mail", "1")
		if code != 0 || !strings.Contains(out, "To: ann@example.com") || !strings.Contains(out, "Subject: For you, gold") || !strings.Contains(out, "Code GOLD") {
			t.Fatalf("preview-message: %d %q %s", code, out, errs)
		}
		if code, _, errs := cli("campaign", "preview-message", "gold", "mail", "99"); code == 0 || !strings.Contains(errs, "no such profile") {
			t.Fatalf("unknown profile: %d %s", code, errs)
		}
		code, out, errs = cli("campaign", "proof", "gold", "mail", "1", "--to", "qa@example.com")
		if code != 0 || !strings.Contains(out, "qa@example.com: sent (proof:") {
			t.Fatalf("proof: %d %q %s", code, out, errs)
		}
		code, out, errs = cli("messages", "--json")
		if code != 0 || !strings.Contains(out, "[Proof] For you, gold") {
			t.Fatalf("messages: %d %q %s", code, out, errs)
		}
	})
}

package app

import (
	"os"
	"path/filepath"
	"regexp"
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
	t.Parallel()
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

func TestCampaignValidateShowsSMSLength(t *testing.T) {
	t.Parallel()
	eachStoreCLI(t, func(t *testing.T, dir string, cli func(args ...string) (int, string, string)) {
		model := filepath.Join(dir, "model.yaml")
		doc := filepath.Join(dir, "texts.yaml")
		os.WriteFile(model, []byte("entities:\n  customers:\n    key: customer_id\n    attributes: {customer_id: integer, first_name: string, phone: string}\n    targeting: {sms: phone}\n"), 0o600)
		os.WriteFile(doc, []byte(`name: texts
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'all'}
  promo: {type: sms, text: 'Ciao {{ profile.first_name }}, ecco il tuo sconto: {{ vars.code }}. È valido fino a domenica, in tutti i negozi e online. STOP al 4000'}
transitions:
  - start -> all
  - all -> promo
variables: {code: PRIMAVERA}
`), 0o600)
		if code, _, errs := cli("model", "apply", model); code != 0 {
			t.Fatalf("model: %s", errs)
		}
		// GSM-7 has è but not È: the text travels in UCS-2, 114 characters,
		// two segments of 67 where GSM-7 would have taken one.
		code, out, errs := cli("campaign", "validate", doc)
		if code != 0 || !strings.Contains(out, "texts.yaml: valid\npromo: 2 SMS segments (UCS-2, 114 characters with the sample profile's values)\n") {
			t.Fatalf("validate: %d %q %s", code, out, errs)
		}
	})
}

// TestHeldSendShowsHowToConfirm: a campaign with confirm_send shows its
// held messages in a column of their own and the command that releases
// them; confirming releases them all.
func TestHeldSendShowsHowToConfirm(t *testing.T) {
	t.Parallel()
	eachStoreCLI(t, func(t *testing.T, dir string, cli func(args ...string) (int, string, string)) {
		cli("model", "apply", "testdata/model.yaml")
		cli("import", "customers", "testdata/customers.csv")
		doc := filepath.Join(dir, "careful.yaml")
		os.WriteFile(doc, []byte(strings.Replace(strings.Replace(proofCampaign, "name: gold", "name: careful\npolicy: {confirm_send: true}", 1), `'tier = "gold"'`, "'all'", 1)), 0o600)
		for _, args := range [][]string{{"campaign", "save", doc}, {"campaign", "publish", "careful"}} {
			if code, _, errs := cli(args...); code != 0 {
				t.Fatalf("%v: %s", args, errs)
			}
		}
		code, out, errs := cli("campaign", "start", "careful")
		if code != 0 || !strings.Contains(out, "PENDING  HELD\nmail (email)") || !strings.Contains(out, "2 message(s) held until an operator confirms the send: fanfare campaign confirm 1\n") {
			t.Fatalf("start: %d %q %s", code, out, errs)
		}
		if code, out, errs := cli("campaign", "confirm", "1"); code != 0 || !strings.Contains(out, "run 1: 2 message(s) released") {
			t.Fatalf("confirm: %d %q %s", code, out, errs)
		}
		if code, out, errs := cli("campaign", "status", "1"); code != 0 || strings.Contains(out, "HELD") || strings.Contains(out, "held until") {
			t.Fatalf("status after confirm: %d %q %s", code, out, errs)
		}
		// The run's log says who confirmed, and each activity's lines.
		code, out, errs = cli("campaign", "logs", "1")
		if code != 0 || !regexp.MustCompile(`(?m)^\S+  info   run: live run of version 1 started \(manual\) by cli:\S+$`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^\S+  info   run: send confirmed by cli:\S+: 2 messages released$`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^\S+  info   mail: done in \d+ ms: 2 rows in, 2 out$`).MatchString(out) {
			t.Fatalf("logs: %d %q %s", code, out, errs)
		}
		code, out, errs = cli("campaign", "logs", "1", "--activity", "mail", "--json")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 2 || !strings.Contains(lines[0], `"event":"started"`) || !strings.Contains(lines[1], `"rows_out":2`) {
			t.Fatalf("logs of mail as JSON: %d %q %s", code, out, errs)
		}
	})
}

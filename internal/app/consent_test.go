package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConsentImportCommand imports a consent file with one bad row: the
// good rows are recorded, the bad one reported with its line, and the
// command fails so that scripts notice.
func TestConsentImportCommand(t *testing.T) {
	t.Parallel()
	eachStoreCLI(t, func(t *testing.T, dir string, cli func(args ...string) (int, string, string)) {
		cli("model", "apply", "testdata/model.yaml")
		file := filepath.Join(dir, "consent.csv")
		if err := os.WriteFile(file, []byte("customer_id,channel,status,source\n1,email,opt_out,crm\n2,sms,opt_in,\n3,email,sure,\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errs := cli("consent", "import", file, "--dimension", "customers")
		if code == 0 || !strings.Contains(out, "3 rows, 2 recorded, 1 rejected") || !strings.Contains(out, `line 4: status "sure": must be opt_in or opt_out`) {
			t.Fatalf("consent import: %d %q %s", code, out, errs)
		}
		if code, _, errs := cli("consent", "import", file, "--dimension", "nope"); code == 0 || !strings.Contains(errs, `unknown dimension "nope"`) {
			t.Fatalf("unknown dimension: %d %s", code, errs)
		}
	})
}

// TestConsentAndSuppressionCommands shows and records one profile's
// consent, and lists, adds and removes suppressed addresses.
func TestConsentAndSuppressionCommands(t *testing.T) {
	t.Parallel()
	eachStoreCLI(t, func(t *testing.T, dir string, cli func(args ...string) (int, string, string)) {
		cli("model", "apply", "testdata/model.yaml")
		expect := func(want string, args ...string) {
			t.Helper()
			code, out, errs := cli(args...)
			if code != 0 || !strings.Contains(out, want) {
				t.Fatalf("%s: %d %q %s, want %q", strings.Join(args, " "), code, out, errs, want)
			}
		}
		expect("email    (none: marketing messages go)", "consent", "show", "--dimension", "customers", "1")
		expect(`customers {"customer_id":1}: email opt_out`, "consent", "set", "--dimension", "customers", "--channel", "email", "--status", "opt_out", "1")
		code, out, errs := cli("consent", "show", "--dimension", "customers", "1", "--json")
		if code != 0 || !strings.Contains(out, `"status": "opt_out"`) || !strings.Contains(out, `"source": "cli"`) {
			t.Fatalf("consent show --json: %d %q %s", code, out, errs)
		}
		if code, _, errs := cli("consent", "set", "--dimension", "customers", "--channel", "email", "--status", "opt_out", "one"); code == 0 || !strings.Contains(errs, `customer_id must be an integer, not "one"`) {
			t.Fatalf("a key that is not an integer: %d %s", code, errs)
		}

		expect("Ann@Example.com suppressed for email", "suppressions", "add", "--channel", "email", "--reason", "complaint", "Ann@Example.com")
		expect("ann@example.com  complaint", "suppressions", "list", "--channel", "email")
		expect("ann@example.com  complaint", "suppressions", "list", "--channel", "email", "--address", "ANN@example.com")
		expect("ann@example.com is no longer suppressed", "suppressions", "remove", "--channel", "email", "ann@example.com")
		expect("ann@example.com is not suppressed for email", "suppressions", "list", "--channel", "email", "--address", "ann@example.com")
		if code, _, errs := cli("suppressions", "add", "--channel", "email", "not an address"); code == 0 || errs == "" {
			t.Fatalf("an invalid address: %d %s", code, errs)
		}
	})
}

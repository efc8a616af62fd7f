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

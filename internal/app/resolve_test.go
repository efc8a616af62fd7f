package app

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestResolveCommand: campaign status shows in-doubt messages under their
// own "in doubt:" lines (not as failures) with the command that resolves
// them; campaign resolve refuses a missing or double decision and an
// unknown run, resends one activity's messages (sent again through the
// local providers) and drops them, each decision shown with its actor
// (cli:<os user>) and time.
func TestResolveCommand(t *testing.T) {
	t.Parallel()
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			cfg := storetest.Config(t, backend)
			dir := t.TempDir()
			cfg.DataDir = dir
			where := []string{"--data-dir", dir}
			if cfg.DatabaseURL != "" {
				where = append(where, "--database-url", cfg.DatabaseURL)
			}
			cli := func(args ...string) (int, string, string) { return run(t, append(where, args...)...) }
			cli("model", "apply", "testdata/model.yaml")
			cli("import", "customers", "testdata/customers.csv")
			doc := filepath.Join(dir, "hello.yaml")
			os.WriteFile(doc, []byte(strings.Replace(strings.Replace(proofCampaign, "name: gold", "name: hello", 1), `'tier = "gold"'`, "'all'", 1)), 0o600)
			for _, args := range [][]string{{"campaign", "save", doc}, {"campaign", "publish", "hello"}, {"campaign", "start", "hello"}} {
				if code, _, errs := cli(args...); code != 0 {
					t.Fatalf("%v: %s", args, errs)
				}
			}
			inDoubt := func() {
				t.Helper()
				s, err := store.Open(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if _, err := storetest.DB(s).Exec(`UPDATE ff_outbox SET status = 'in_doubt', reason = $1 WHERE run_id = 1`, delivery.ReasonDispatcherDied); err != nil {
					t.Fatal(err)
				}
			}
			inDoubt()
			code, out, errs := cli("campaign", "status", "1")
			if code != 0 || !regexp.MustCompile(`\n  in doubt: dispatcher_stopped_mid_send +2 `).MatchString(out) || strings.Contains(out, "failed: dispatcher_stopped_mid_send") ||
				!strings.Contains(out, "2 message(s) in doubt (the provider may have them): fanfare campaign resolve 1 --resend | --drop\n") {
				t.Fatalf("status: %d %q %s", code, out, errs)
			}
			for _, c := range []struct {
				args []string
				want string
			}{
				{[]string{"campaign", "resolve", "1"}, "give --resend"},
				{[]string{"campaign", "resolve", "1", "--resend", "--drop"}, "--resend and --drop can't be used together"},
				{[]string{"campaign", "resolve", "99", "--drop"}, "run 99: not found"},
				{[]string{"campaign", "resolve", "1", "--drop", "--activity", "nope"}, "activity nope of run 1: not found"},
			} {
				if code, _, errs := cli(c.args...); code == 0 || !strings.Contains(errs, c.want) {
					t.Errorf("%v: %d %q, want %q", c.args, code, errs, c.want)
				}
			}
			me := audit.CLI().String()
			code, out, errs = cli("campaign", "resolve", "1", "--resend", "--activity", "mail")
			if code != 0 || !strings.Contains(out, "run 1: 2 in-doubt message(s) back in the queue (mail 2), by "+me+" at ") ||
				!strings.Contains(out, "  in doubt, resent by "+me+" at ") || !regexp.MustCompile(`\nmail \(email\) +2 +2 +0 +0 +0 +0\n`).MatchString(out) {
				t.Fatalf("resend: %d %q %s", code, out, errs)
			}
			inDoubt()
			code, out, errs = cli("campaign", "resolve", "1", "--drop")
			if code != 0 || !strings.Contains(out, "2 in-doubt message(s) dropped (not sent) (mail 2), by "+me) || !strings.Contains(out, "DROPPED") ||
				!regexp.MustCompile(`\n  dropped, was in doubt: dispatcher_stopped_mid_send +2 `).MatchString(out) || !strings.Contains(out, "  in doubt, dropped by "+me+" at ") {
				t.Fatalf("drop: %d %q %s", code, out, errs)
			}
			if code, _, errs := cli("campaign", "resolve", "1", "--drop"); code == 0 || !strings.Contains(errs, "run 1 has no message in doubt") {
				t.Fatalf("nothing left in doubt: %d %s", code, errs)
			}
		})
	}
}

package app

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/cli"
)

// TestOutboundCommandsThroughTheServer: a server with --outbound holds its
// destinations for the commands — an audience published to its files
// destination, the destinations listed with their cursor, the dead
// letters asked of it — and a command without a server says there are
// none.
func TestOutboundCommandsThroughTheServer(t *testing.T) {
	t.Parallel()
	bin := buildFanfare(t)
	dir, lake := t.TempDir(), filepath.Join(t.TempDir(), "lake")
	conf := filepath.Join(t.TempDir(), "outbound.json")
	os.WriteFile(conf, []byte(`{"destinations": [{"name": "lake", "kind": "files", "events": true, "dir": "`+lake+`"}]}`), 0o600)
	var logs processLogs
	srv, _ := startServer(t, bin, dir, &logs, nil, "--outbound", conf)
	defer srv.Process.Kill()
	fan := func(want int, args ...string) string {
		t.Helper()
		code, out, errs := run(t, append([]string{"--data-dir", dir}, args...)...)
		if code != want {
			t.Fatalf("%v: %d %s %s\n%s", args, code, out, errs, logs.String())
		}
		return out + errs
	}
	fan(0, "model", "apply", "testdata/model.yaml")
	fan(cli.ExitPartial, "import", "customers", "testdata/customers.csv")
	fan(0, "audience", "save", "gold", "--where", `tier = "gold"`)
	if out := fan(0, "audience", "publish", "gold", "--to", "lake", "--attributes", "tier"); !strings.Contains(out, "published to lake (csv of the key and tier)") {
		t.Fatalf("publish: %s", out)
	}
	stable := filepath.Join(lake, "audience-gold.csv")
	// The publication runs in the server's background: wait for its file.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(stable); err == nil {
			if string(b) != "customer_id,tier\n1,gold\n" {
				t.Fatalf("%s: %q", stable, b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s:\n%s", stable, logs.String())
		}
	}
	if out := fan(0, "audience", "show", "gold"); !strings.Contains(out, "published to lake: csv of the key and tier") {
		t.Fatalf("show: %s", out)
	}
	if out := fan(0, "events", "destinations"); !strings.Contains(out, "lake") || !strings.Contains(out, lake) {
		t.Fatalf("destinations: %s", out)
	}
	if out := fan(0, "events", "dead-letters"); !strings.HasPrefix(out, "ID") || strings.Count(out, "\n") != 1 {
		t.Fatalf("dead letters: %s", out)
	}
	if out := fan(1, "events", "redeliver", "999"); !strings.Contains(out, "dead letter 999: unknown dead letter") {
		t.Fatalf("redeliver: %s", out)
	}
	fan(0, "audience", "publish", "gold", "--off")
	if out := fan(0, "audience", "show", "gold"); strings.Contains(out, "published") {
		t.Fatalf("show after --off: %s", out)
	}
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("server exit: %v\n%s", err, logs.String())
	}
	if out := fan(1, "events", "destinations"); !strings.Contains(out, "no outbound destinations are configured") {
		t.Fatalf("without a server: %s", out)
	}
}

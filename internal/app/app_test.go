package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/cli"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// run runs the CLI in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

// eachStoreCLI runs fn on each store with the CLI bound to it and to a
// fresh data directory (dir).
func eachStoreCLI(t *testing.T, fn func(t *testing.T, dir string, cli func(args ...string) (int, string, string))) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			cfg := storetest.Config(t, backend)
			dir := t.TempDir()
			where := []string{"--data-dir", dir}
			if cfg.DatabaseURL != "" {
				where = append(where, "--database-url", cfg.DatabaseURL)
			}
			fn(t, dir, func(args ...string) (int, string, string) { return run(t, append(where, args...)...) })
		})
	}
}

func TestCLIOnEachStore(t *testing.T) {
	t.Parallel()
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			cfg := storetest.Config(t, backend)
			where := []string{"--data-dir", t.TempDir()}
			if cfg.DatabaseURL != "" {
				where = []string{"--database-url", cfg.DatabaseURL, "--data-dir", t.TempDir()}
			}
			if code, out, errs := run(t, append(where, "model", "apply", "testdata/model.yaml")...); code != 0 || !strings.Contains(out, "model version 1") {
				t.Fatalf("apply: %d %s %s", code, out, errs)
			}
			rejects := filepath.Join(t.TempDir(), "rejects.csv")
			// Some rows rejected, the good ones loaded: exit 3.
			code, out, errs := run(t, append(where, "import", "customers", "testdata/customers.csv", "--json", "--rejects", rejects)...)
			if code != cli.ExitPartial || !strings.Contains(errs, "1 row(s) rejected; the 2 other(s) loaded") {
				t.Fatalf("import: %d %s %s", code, out, errs)
			}
			var sum struct{ Inserted, Rejected int }
			if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Inserted != 2 || sum.Rejected != 1 {
				t.Fatalf("summary %s: %v", out, err)
			}
			rej, _ := os.ReadFile(rejects)
			if !strings.Contains(string(rej), "customers,customers.csv,4,email,,a value is required") {
				t.Fatalf("rejects file:\n%s", rej)
			}
			if code, out, _ := run(t, append(where, "model", "show")...); code != 0 || !strings.Contains(out, "customers:") {
				t.Fatalf("show: %d %s", code, out)
			}
			if code, _, errs := run(t, append(where, "import", "customers", "testdata/customers.csv", "--max-errors", "0")...); code != 1 || !strings.Contains(errs, "too many rejected rows") {
				t.Fatalf("max-errors: %d %s", code, errs)
			}
			// Every row loaded: exit 0; none: exit 1, status failed.
			dir := t.TempDir()
			good, bad := filepath.Join(dir, "good.csv"), filepath.Join(dir, "bad.csv")
			os.WriteFile(good, []byte("customer_id,email,tier\n7,gus@example.com,gold\n"), 0o644)
			os.WriteFile(bad, []byte("customer_id,email,tier\nx,gus@example.com,gold\n8,,gold\n"), 0o644)
			if code, out, errs := run(t, append(where, "import", "customers", good)...); code != 0 || !strings.Contains(out, ": completed — read 1, inserted 1") {
				t.Fatalf("clean import: %d %s %s", code, out, errs)
			}
			code, out, errs = run(t, append(where, "import", "customers", bad)...)
			if code != 1 || !strings.Contains(out, ": failed — read 2, inserted 0") || !strings.Contains(errs, "nothing loaded: every row (2) was rejected; customers left unchanged") {
				t.Fatalf("import with every row bad: %d %s %s", code, out, errs)
			}
		})
	}
}

func TestModelValidateNamesFileAndLine(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("entities:\n  customers:\n    key: id\n    attributes:\n      id: integr\n"), 0o644)
	code, _, errs := run(t, "model", "validate", bad)
	if code != 1 || !strings.Contains(errs, "bad.yaml:5:") {
		t.Fatalf("%d %q", code, errs)
	}
}

// TestCommandsGoThroughTheRunningServer starts a real server process on an
// embedded data directory, which then holds DuckDB's lock: commands must
// work through its API, and never show a lock error.
func TestCommandsGoThroughTheRunningServer(t *testing.T) {
	t.Parallel()
	bin := buildFanfare(t)
	dir := t.TempDir()
	var logs processLogs
	srv, _ := startServer(t, bin, dir, &logs, nil)
	defer srv.Process.Kill()
	if code, out, errs := run(t, "--data-dir", dir, "model", "apply", "testdata/model.yaml"); code != 0 {
		t.Fatalf("apply through server: %d %s %s", code, out, errs)
	}
	code, out, errs := run(t, "--data-dir", dir, "import", "customers", "testdata/customers.csv")
	if code != cli.ExitPartial || !strings.Contains(out, "completed_with_rejects — read 3, inserted 2") || !strings.Contains(out, "line 4, email") {
		t.Fatalf("import through server: %d %s %s", code, out, errs)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("customer_id,email,tier\nx,gus@example.com,gold\n"), 0o644)
	if code, out, errs := run(t, "--data-dir", dir, "import", "customers", bad); code != 1 || !strings.Contains(out, ": failed — read 1") || !strings.Contains(errs, "nothing loaded: every row (1) was rejected") {
		t.Fatalf("import with every row bad, through server: %d %s %s", code, out, errs)
	}
	// The server logs a request once its answer is written: wait for it.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), "/api/imports"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the import did not go through the server:\n%s", logs.String())
		}
	}
	// Consent and suppressions, read and written through the server.
	if code, out, errs := run(t, "--data-dir", dir, "consent", "set", "--dimension", "customers", "--channel", "email", "--status", "opt_out", "1"); code != 0 || !strings.Contains(out, "email opt_out") {
		t.Fatalf("consent set through server: %d %s %s", code, out, errs)
	}
	if code, out, errs := run(t, "--data-dir", dir, "consent", "show", "--dimension", "customers", "1"); code != 0 || !strings.Contains(out, "opt_out") || !strings.Contains(out, "cli") {
		t.Fatalf("consent show through server: %d %s %s", code, out, errs)
	}
	if code, out, errs := run(t, "--data-dir", dir, "suppressions", "add", "--channel", "email", "ann@example.com"); code != 0 {
		t.Fatalf("suppressions add through server: %d %s %s", code, out, errs)
	}
	if code, out, errs := run(t, "--data-dir", dir, "suppressions", "list", "--channel", "email"); code != 0 || !strings.Contains(out, "ann@example.com  cli") {
		t.Fatalf("suppressions list through server: %d %s %s", code, out, errs)
	}
	if code, _, errs := run(t, "--data-dir", dir, "suppressions", "remove", "--channel", "email", "bob@example.com"); code == 0 || !strings.Contains(errs, "fanfare: email bob@example.com is not suppressed: not found") {
		t.Fatalf("removing an address not on the list, through server: %d %s", code, errs)
	}
	// A second server on the same directory is refused with a clear message.
	if code, _, errs := run(t, "--data-dir", dir, "serve", "--addr", "127.0.0.1:0"); code == 0 || !strings.Contains(errs, "already serves") {
		t.Fatalf("second server: %d %s", code, errs)
	}
	// Graceful shutdown removes the server file.
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("server exit: %v\n%s", err, logs.String())
	}
	if _, err := readServerFile(dir); !os.IsNotExist(err) {
		t.Fatalf("server file left behind: %v", err)
	}
	// With the server gone, commands open the store themselves.
	if code, out, errs := run(t, "--data-dir", dir, "model", "history"); code != 0 || !strings.Contains(out, "1") {
		t.Fatalf("history without server: %d %s %s", code, out, errs)
	}
}

func TestConfigFileThenEnvThenFlags(t *testing.T) {
	dirA, dirB, dirC := t.TempDir(), t.TempDir(), t.TempDir()
	cfg := filepath.Join(t.TempDir(), "fanfare.json")
	os.WriteFile(cfg, []byte(`{"data_dir": "`+dirA+`"}`), 0o644)
	if code, out, errs := run(t, "--config", cfg, "model", "apply", "testdata/model.yaml"); code != 0 {
		t.Fatalf("apply: %d %s %s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dirA, "fanfare.duckdb")); err != nil {
		t.Fatalf("the config file's data_dir was not used: %v", err)
	}
	t.Setenv("FANFARE_DATA_DIR", dirB)
	run(t, "--config", cfg, "model", "apply", "testdata/model.yaml")
	if _, err := os.Stat(filepath.Join(dirB, "fanfare.duckdb")); err != nil {
		t.Fatalf("the environment did not override the config file: %v", err)
	}
	run(t, "--config", cfg, "--data-dir", dirC, "model", "apply", "testdata/model.yaml")
	if _, err := os.Stat(filepath.Join(dirC, "fanfare.duckdb")); err != nil {
		t.Fatalf("the flag did not override the environment: %v", err)
	}
}

func TestAudienceCommands(t *testing.T) {
	t.Parallel()
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			cfg := storetest.Config(t, backend)
			where := []string{"--data-dir", t.TempDir()}
			if cfg.DatabaseURL != "" {
				where = append(where, "--database-url", cfg.DatabaseURL)
			}
			cli := func(args ...string) (int, string, string) { return run(t, append(where, args...)...) }
			cli("model", "apply", "testdata/model.yaml")
			cli("import", "customers", "testdata/customers.csv")
			code, out, errs := cli("audience", "count", "--where", `tier = "gold"`, "--breakdown", "tier")
			if code != 0 || !strings.HasPrefix(out, "1\n") || !strings.Contains(out, "gold") {
				t.Fatalf("count: %d %q %s", code, out, errs)
			}
			code, _, errs = cli("audience", "count", "--where", `tierz = "gold"`)
			if code != 1 || !strings.Contains(errs, "where: ") || !strings.Contains(errs, "tierz") {
				t.Fatalf("invalid query: %d %s", code, errs)
			}
			if code, out, errs = cli("audience", "save", "golds", "--where", `tier = "gold"`); code != 0 || !strings.Contains(out, "golds: 1 customers") {
				t.Fatalf("save: %d %q %s", code, out, errs)
			}
			if code, out, _ = cli("audience", "list"); code != 0 || !strings.Contains(out, "golds") {
				t.Fatalf("list: %d %q", code, out)
			}
			if code, out, errs = cli("audience", "export", "golds", "--attrs", "customer_id,email", "--format", "ndjson"); code != 0 || strings.TrimSpace(out) != `{"customer_id":1,"email":"ann@example.com"}` {
				t.Fatalf("export: %d %q %s", code, out, errs)
			}
			if code, out, _ = cli("audience", "validate", "--where", `in audience "golds" or tier = "none"`); code != 0 || !strings.Contains(out, `"audience":"golds"`) {
				t.Fatalf("validate: %d %q", code, out)
			}
		})
	}
}

// TestDocumentedCampaignRunsOnTheDemo keeps the example of
// docs/campaigns.md runnable: it simulates it on a small demo, through the
// CLI, then runs it live after publishing.
func TestDocumentedCampaignRunsOnTheDemo(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/campaigns.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(doc), "```yaml\n")
	example, _, _ := strings.Cut(rest, "```")
	file := filepath.Join(t.TempDir(), "spring.yaml")
	os.WriteFile(file, []byte(example), 0o644)
	_, cli := demoCLI(t, 3000)
	code, out, errs := cli("campaign", "simulate", file, "--json")
	if code != 0 {
		t.Fatalf("simulate: %d %s %s", code, out, errs)
	}
	var st struct {
		Run         struct{ Status, Mode string }
		Transitions []struct {
			From, Output, To string
			Count            *int64
		}
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, tr := range st.Transitions {
		if tr.Count != nil {
			got[tr.From+"."+tr.Output] = *tr.Count
		}
	}
	if st.Run.Status != "completed" || got["targets.out"] == 0 || got["groups.control"]+got["groups.vip"]+got["groups.remainder"] != got["spend.out"] {
		t.Fatalf("simulation: %+v %v", st.Run, got)
	}
	// Simulation saved nothing; a live run saves the control group.
	if code, out, _ := cli("audience", "list"); code != 0 || strings.Contains(out, "spring-fashion-control") {
		t.Fatalf("a simulation saved an audience: %s", out)
	}
	if code, out, errs := cli("campaign", "publish", "spring-fashion"); code != 0 {
		t.Fatalf("publish: %d %s %s", code, out, errs)
	}
	if code, out, errs := cli("campaign", "start", "spring-fashion"); code != 0 || !strings.Contains(out, "(live): completed") {
		t.Fatalf("live run: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli("audience", "show", "spring-fashion-control"); code != 0 || !strings.Contains(out, fmt.Sprintf("spring-fashion-control: %d customers", got["groups.control"])) {
		t.Fatalf("the live run's control group: %s (simulated %d)", out, got["groups.control"])
	}
}

// TestDocumentedActivitiesValidateOnTheDemo: every channel activity that
// docs/delivery.md shows validates on the demo's model, as a user would
// paste it into a campaign (after an enrich activity giving the
// target.spent_365d it reads).
func TestDocumentedActivitiesValidateOnTheDemo(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/delivery.md")
	if err != nil {
		t.Fatal(err)
	}
	dir, cli := demoCLI(t, 300)
	blocks := strings.Split(string(doc), "```yaml\n")[1:]
	if len(blocks) < 2 {
		t.Fatalf("docs/delivery.md shows %d activities", len(blocks))
	}
	for i, b := range blocks {
		example, _, _ := strings.Cut(b, "```")
		name, _, _ := strings.Cut(example, ":")
		campaign := `name: example
dimension: customers
variables: {discount: 15}
activities:
  start: {type: start}
  all: {type: build_audience, query: 'all'}
  spend:
    type: enrich
    columns:
      - {name: spent_365d, link: purchases, aggregate: sum, attribute: amount, where: 'purchased_at within last 365d'}
` + "  " + strings.ReplaceAll(strings.TrimRight(example, "\n"), "\n", "\n  ") + `
transitions:
  - start -> all
  - all -> spend
  - spend -> ` + name + "\n"
		file := filepath.Join(dir, fmt.Sprintf("example%d.yaml", i))
		os.WriteFile(file, []byte(campaign), 0o644)
		if code, out, errs := cli("campaign", "validate", file); code != 0 {
			t.Errorf("docs/delivery.md, example %d (%s): %s%s\n%s", i+1, name, out, errs, campaign)
		}
	}
}

// TestDocumentedAudienceCountsOnTheDemo: the query docs/audiences.md opens
// with, in its JSON and its text form, counts on the demo, the same.
func TestDocumentedAudienceCountsOnTheDemo(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/audiences.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(doc), "```json\n")
	tree, rest, _ := strings.Cut(rest, "```")
	_, rest, _ = strings.Cut(rest, "```\n")
	text, _, _ := strings.Cut(rest, "```")
	dir, cli := demoCLI(t, 3000)
	file := filepath.Join(dir, "query.json")
	os.WriteFile(file, []byte(tree), 0o644)
	code, byTree, errs := cli("audience", "count", "--query", file)
	if code != 0 {
		t.Fatalf("count the JSON tree: %d %s %s", code, byTree, errs)
	}
	code, byText, errs := cli("audience", "count", "--where", text)
	if code != 0 || byText != byTree || strings.TrimSpace(byText) == "0" {
		t.Fatalf("count the text: %d %q %s, the tree counted %q", code, byText, errs, byTree)
	}
}

// TestCommandsUseADegradedServer: a server whose health is degraded (a
// provider failing) still owns its data directory: commands go through
// it rather than open the store beside it.
func TestCommandsUseADegradedServer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/health":
			fmt.Fprint(w, `{"status": "degraded", "providers_failing": [{"channel": "sms", "rest": "30s"}]}`)
		case "/api/campaigns":
			fmt.Fprint(w, `{"campaigns": [{"name": "from-the-server"}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	if err := writeServerFile(dir, serverFile{URL: srv.URL, PID: os.Getpid()}); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run(t, "--data-dir", dir, "campaign", "list"); code != 0 || !strings.Contains(out, "from-the-server") {
		t.Fatalf("campaign list beside a degraded server: %d %q %s", code, out, errs)
	}
}

// demoCLI makes a data directory holding the demo with that many
// customers and returns it with a CLI bound to it.
func demoCLI(t *testing.T, customers int) (string, func(args ...string) (int, string, string)) {
	t.Helper()
	dir := t.TempDir()
	cli := func(args ...string) (int, string, string) {
		return run(t, append([]string{"--data-dir", dir}, args...)...)
	}
	if code, out, errs := cli("demo", "--customers", strconv.Itoa(customers)); code != 0 {
		t.Fatalf("demo: %d %s %s", code, out, errs)
	}
	return dir, cli
}

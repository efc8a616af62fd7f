package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/client"
	"github.com/fanfare-dev/fanfare/internal/engine"
)

// durabilityCampaign chains enough activities over the demo data that a
// kill lands in the middle of the run, on activities of every phase. Its
// dates are fixed (the demo's today is 2026-11-01): "within last 365d"
// reads the clock of the activity's attempt, so the undisturbed reference,
// run seconds earlier, drew its line elsewhere, and a purchase between the
// two lines (more likely at the busy hours of the day, which the demo's
// purchases follow) put one customer more or less among the big spenders.
const durabilityCampaign = `name: durable
dimension: customers
activities:
  start: {type: start}
  recent: {type: build_audience, query: 'exists(purchases where purchased_at after "2026-05-05T00:00:00Z")'}
  big_spenders: {type: build_audience, query: 'sum(purchases.amount where purchased_at after "2025-11-01T00:00:00Z") > 300'}
  fashion: {type: build_audience, query: 'count(purchases where product.category = "fashion") >= 2'}
  optouts: {type: build_audience, query: 'email_optin = false'}
  join: {type: and_join, primary: recent}
  pause: {type: wait, duration: 1s}
  check:
    type: test
    branches: [{name: many, if: 'count > 10'}]
  many: {type: fork}
  few: {type: end}
  done: {type: end}
transitions:
  - start -> recent
  - start -> big_spenders
  - start -> fashion
  - start -> optouts
  - recent -> join
  - big_spenders -> join
  - fashion -> join
  - optouts -> join
  - join -> pause
  - pause -> check
  - check.many -> many
  - check.default -> few
  - many -> done
`

// TestRunSurvivesKills kills a real fanfare server at random moments of a
// campaign run and restarts it: the run must finish with exactly the counts
// of an undisturbed run, every activity done exactly once.
func TestRunSurvivesKills(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FANFARE_KILL_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (FANFARE_KILL_SEED reproduces)", seed)
	rng := rand.New(rand.NewPCG(seed, 7))

	bin := buildFanfare(t)
	dir := t.TempDir()
	campaignFile := filepath.Join(dir, "durable.yaml")
	os.WriteFile(campaignFile, []byte(durabilityCampaign), 0o644)
	fanfare := func(args ...string) string {
		cmd := exec.Command(bin, append([]string{"--data-dir", dir}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fanfare %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	fanfare("demo", "--customers", "20000")
	fanfare("campaign", "save", campaignFile)

	// The undisturbed reference.
	var ref engine.RunStatus
	if err := json.Unmarshal([]byte(fanfare("campaign", "simulate", "durable", "--json")), &ref); err != nil {
		t.Fatal(err)
	}
	if ref.Run.Status != engine.RunCompleted {
		t.Fatalf("reference run: %+v", ref.Run)
	}

	var logs processLogs
	start := func() (*exec.Cmd, *client.Client) {
		return startServer(t, bin, dir, &logs, nil, "--lease", "5s")
	}
	srv, c := start()
	run, err := c.RunStart(context.Background(), "durable", engine.RunOptions{Mode: engine.ModeSimulate})
	if err != nil {
		t.Fatal(err)
	}
	kills := 0
	for kills < 8 {
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		st, err := c.RunStatus(context.Background(), run.ID)
		if err == nil && st.Run.Status != engine.RunRunning {
			break
		}
		srv.Process.Signal(syscall.SIGKILL)
		srv.Wait()
		kills++
		os.Remove(serverFilePath(dir)) // a killed server leaves it behind
		srv, c = start()
	}
	var final *engine.RunStatus
	deadline := time.Now().Add(90 * time.Second)
	for {
		final, err = c.RunStatus(context.Background(), run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if final.Run.Status != engine.RunRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()
	t.Logf("%d kills", kills)
	if final.Run.Status != engine.RunCompleted {
		t.Fatalf("run after %d kills: %s %s\n%+v\n%s", kills, final.Run.Status, final.Run.Error, final.Activities, logs.String())
	}
	want, got := transitionCounts(&ref), transitionCounts(final)
	if want != got {
		t.Fatalf("after %d kills the counts differ:\n got %s\nwant %s", kills, got, want)
	}
	// No activity completed twice, and none started again once done. (A
	// process killed between a commit and its log line loses that line, so
	// the log can only under-count completions.)
	events := regexp.MustCompile(fmt.Sprintf(`msg="activity (started|done)" run=%d activity=(\w+)`, run.ID)).FindAllStringSubmatch(logs.String(), -1)
	doneAt := map[string]int{}
	for i, m := range events {
		kind, act := m[1], m[2]
		if _, done := doneAt[act]; done {
			t.Errorf("activity %s %s again after it was done (event %d)", act, kind, i)
		}
		if kind == "done" {
			doneAt[act] = i
		}
	}
	if len(doneAt) == 0 {
		t.Fatalf("no activity completion was logged:\n%s", logs.String())
	}
	for _, a := range final.Activities {
		if a.Status != engine.ActDone && a.Status != engine.ActSkipped {
			t.Errorf("activity %s ended %s", a.ID, a.Status)
		}
	}
}

func transitionCounts(st *engine.RunStatus) string {
	var b strings.Builder
	for _, tr := range st.Transitions {
		n := tr.State
		if tr.Count != nil {
			n = fmt.Sprint(*tr.Count)
		}
		fmt.Fprintf(&b, "%s.%s->%s=%s ", tr.From, tr.Output, tr.To, n)
	}
	return b.String()
}
